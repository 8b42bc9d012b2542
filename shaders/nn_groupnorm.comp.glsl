#version 430 core
// GroupNorm of the GL compute backend, one workgroup per group, batch 1: mean, then the biased variance around it
// (two passes over the group, workgroup reductions in float), then y = (x − mean)·rsqrt(var + ε)·γ[c] + β[c],
// optionally modulated by the embedding, y·(1 + scale[c]) + shift[c] (MODULATE: scale at emb[embOff + c], shift at
// emb[embOff + C + c]), optionally SiLU'd (SILU): the ResBlock's norm → modulate → SiLU in one dispatch.
// Input: two channel segments (concatenation by addressing), channels [0, cin0) at in0 then [0, cin1) at in1.
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 1) readonly buffer Weights1 { float w1[]; };
layout(std430, binding = 2) readonly buffer Embedding { float emb[]; };
uniform int plane;       // H·W
uniform int in0, cin0, in1, cin1;
uniform int outOff;
uniform int groups;
uniform int gammaOff, betaOff;
uniform int embOff;
uniform float epsilon;
shared float partial[256];

float value(int c, int p)
{
    return c < cin0 ? act[in0 + c * plane + p] : act[in1 + (c - cin0) * plane + p];
}

shared float total;

// The workgroup's sum of v: partial sums in shared memory, added up by invocation 0 in a fixed order (deterministic;
// a tree of barriers measured off by ~1e-4 on llvmpipe).
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
    int g = int(gl_WorkGroupID.x);
    int channels = cin0 + cin1;
    int perGroup = channels / groups;
    int first = g * perGroup;
    int n = perGroup * plane;
    int t = int(gl_LocalInvocationID.x);
    float s = 0.0;
    for (int e = t; e < n; e += 256) s += value(first + e / plane, e % plane);
    float mean = reduceSum(s) / float(n);
    float q = 0.0;
    for (int e = t; e < n; e += 256) { float d = value(first + e / plane, e % plane) - mean; q += d * d; }
    float rstd = 1.0 / sqrt(reduceSum(q) / float(n) + epsilon); // not inversesqrt: llvmpipe approximates it (~1e-3)
    for (int e = t; e < n; e += 256)
    {
        int c = first + e / plane, p = e % plane;
        float y = (value(c, p) - mean) * rstd * w1[gammaOff + c] + w1[betaOff + c];
#if MODULATE
        y = y * (1.0 + emb[embOff + c]) + emb[embOff + channels + c];
#endif
#if SILU
        y = y / (1.0 + exp(-y));
#endif
        act[outOff + c * plane + p] = y;
    }
}
