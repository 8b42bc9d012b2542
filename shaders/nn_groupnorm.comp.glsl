#version 430 core
// GroupNorm of the GL compute backend, batch 1, in two dispatches so that every GPU core has work at any size:
//   PASS 1 (partials): workgroup (chunk, group) takes up to `chunkSize` consecutive elements of its group and writes
//          their mean and M2 = Σ(x − mean)² (two passes over the chunk, in float) to scratch[(group·chunks + chunk)·2].
//   PASS 3 (finalize): one invocation per group combines its chunk partials (Chan et al.'s pairwise update, in a fixed
//          order) into the mean and 1/sqrt(biased variance + ε).
//   PASS 2 (apply): workgroup (tile of 256 pixels, channel) normalizes 256 elements with its group's statistics:
//          y = (x − mean)·(1/sqrt(var + ε))·γ[c] + β[c], optionally modulated by the embedding, y·(1 + scale[c]) + shift[c]
//          (MODULATE: scale at emb[embOff + c], shift at emb[embOff + C + c]), optionally SiLU'd (SILU): the ResBlock's
//          norm → modulate → SiLU in one pass.
// Input: two channel segments (concatenation by addressing), channels [0, cin0) at in0 then [0, cin1) at in1.
// Sums go through shared memory and are added by one invocation in a fixed order (deterministic; a tree of barriers
// measured off by ~1e-4 on llvmpipe), and 1/sqrt replaces inversesqrt (approximate on llvmpipe, ~1e-3).
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 1) readonly buffer Weights1 { float w1[]; };
layout(std430, binding = 2) readonly buffer Embedding { float emb[]; };
layout(std430, binding = 5) buffer Scratch { float scratch[]; };
uniform int plane;       // H·W
uniform int in0, cin0, in1, cin1;
uniform int groups, chunkSize, chunks;
uniform int outOff, gammaOff, betaOff, embOff;
uniform float epsilon;
shared float partial[256];
shared float total;

float value(int c, int p)
{
    return c < cin0 ? act[in0 + c * plane + p] : act[in1 + (c - cin0) * plane + p];
}

float reduceSum(float v)
{
    uint t = gl_LocalInvocationID.x;
    partial[t] = v;
    barrier();
    if (t == 0u)
    {
        float s = 0.0;
        for (int i = 0; i < 256; i++) s += partial[i];
        total = s;
    }
    barrier();
    float result = total;
    barrier();
    return result;
}

void main()
{
    int channels = cin0 + cin1;
    int perGroup = channels / groups;
#if PASS == 1
    int g = int(gl_WorkGroupID.y);
#else
    int c = int(gl_WorkGroupID.y);   // PASS 2: workgroup (tile of 256 pixels, channel)
    int g = c / perGroup;
#endif
    int first = g * perGroup;
    int n = perGroup * plane;
    int t = int(gl_LocalInvocationID.x);
#if PASS == 1
    int chunk = int(gl_WorkGroupID.x);
    int begin = chunk * chunkSize, end = min(n, begin + chunkSize);
    // A group inside one segment is contiguous in memory: element e at base + e, no division per element.
    bool contiguous = first + perGroup <= cin0 || first >= cin0;
    int base = first < cin0 ? in0 + first * plane : in1 + (first - cin0) * plane;
    float s = 0.0;
    if (contiguous) for (int e = begin + t; e < end; e += 256) s += act[base + e];
    else for (int e = begin + t; e < end; e += 256) s += value(first + e / plane, e % plane);
    float mean = reduceSum(s) / float(end - begin);
    float q = 0.0;
    if (contiguous) for (int e = begin + t; e < end; e += 256) { float d = act[base + e] - mean; q += d * d; }
    else for (int e = begin + t; e < end; e += 256) { float d = value(first + e / plane, e % plane) - mean; q += d * d; }
    float m2 = reduceSum(q);
    if (t == 0)
    {
        scratch[(g * chunks + chunk) * 2] = mean;
        scratch[(g * chunks + chunk) * 2 + 1] = m2;
    }
#elif PASS == 3
    // One invocation per group (t = the group): its chunks' partials combined by Chan et al.'s pairwise update in a
    // fixed order, then (mean, 1/sqrt(var + ε)) after the partials in scratch.
    if (t >= groups) return;
    int gg = t, nn = perGroup * plane;
    float count = 0.0, mean = 0.0, m2 = 0.0;
    for (int k = 0; k < chunks; k++)
    {
        float nb = float(min(nn, (k + 1) * chunkSize) - k * chunkSize);
        float meanB = scratch[(gg * chunks + k) * 2], m2B = scratch[(gg * chunks + k) * 2 + 1];
        float both = count + nb;
        float delta = meanB - mean;
        mean += delta * (nb / both);
        m2 += m2B + delta * delta * (count * nb / both);
        count = both;
    }
    scratch[(groups * chunks + gg) * 2] = mean;
    scratch[(groups * chunks + gg) * 2 + 1] = 1.0 / sqrt(m2 / count + epsilon);
#else
    float groupMean = scratch[(groups * chunks + g) * 2], groupRstd = scratch[(groups * chunks + g) * 2 + 1];
    int p = int(gl_WorkGroupID.x) * 256 + t;
    if (p >= plane) return;
    float y = (value(c, p) - groupMean) * groupRstd * w1[gammaOff + c] + w1[betaOff + c];
#if MODULATE
    y = y * (1.0 + emb[embOff + c]) + emb[embOff + channels + c];
#endif
#if SILU
    y = y / (1.0 + exp(-y));
#endif
    act[outOff + c * plane + p] = y;
#endif
}
