#version 430 core
// GroupNorm of the GL compute backend, batch 1, in two dispatches so that every GPU core has work at any size:
//   PASS 1 (partials): workgroup (chunk, group) takes up to `chunkSize` consecutive elements of its group and writes
//          their mean and M2 = Σ(x − mean)² (two passes over the chunk, in float) to scratch[(group·chunks + chunk)·2].
//   PASS 2 (apply): workgroup (tile, group) combines its group's chunk partials (Chan et al.'s pairwise update, in a
//          fixed order: the same mean and biased variance in every workgroup), then normalizes 256 elements:
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
shared float total, groupMean, groupRstd;

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
    int g = int(gl_WorkGroupID.y);
    int channels = cin0 + cin1;
    int perGroup = channels / groups;
    int first = g * perGroup;
    int n = perGroup * plane;
    int t = int(gl_LocalInvocationID.x);
#if PASS == 1
    int chunk = int(gl_WorkGroupID.x);
    int begin = chunk * chunkSize, end = min(n, begin + chunkSize);
    float s = 0.0;
    for (int e = begin + t; e < end; e += 256) s += value(first + e / plane, e % plane);
    float mean = reduceSum(s) / float(end - begin);
    float q = 0.0;
    for (int e = begin + t; e < end; e += 256) { float d = value(first + e / plane, e % plane) - mean; q += d * d; }
    float m2 = reduceSum(q);
    if (t == 0)
    {
        scratch[(g * chunks + chunk) * 2] = mean;
        scratch[(g * chunks + chunk) * 2 + 1] = m2;
    }
#else
    if (t == 0)
    {
        float count = 0.0, mean = 0.0, m2 = 0.0;
        for (int k = 0; k < chunks; k++)
        {
            float nb = float(min(n, (k + 1) * chunkSize) - k * chunkSize);
            float meanB = scratch[(g * chunks + k) * 2], m2B = scratch[(g * chunks + k) * 2 + 1];
            float both = count + nb;
            float delta = meanB - mean;
            mean += delta * (nb / both);
            m2 += m2B + delta * delta * (count * nb / both);
            count = both;
        }
        groupMean = mean;
        groupRstd = 1.0 / sqrt(m2 / count + epsilon);
    }
    barrier();
    int e = int(gl_WorkGroupID.x) * 256 + t;
    if (e >= n) return;
    int c = first + e / plane, p = e % plane;
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
