#version 430 core
// Sampling passes of the GL compute backend (GlComputeTextureGenerator) around the network evaluations, for one
// [3, H, W] texture; the coefficients come from the library's SamplingPlan and the model's preconditioning, computed
// on the CPU in double and passed as float uniforms. PASS (defined by the host):
//   1 stats:  one workgroup; the slerp weights (wa, wb) of noise stream `stream` between seeds A and B at t ∈ (0, 1)
//             (LatentSlerp: cos θ = a·b/(|a||b|), wa = sin((1−t)θ)/sin θ, wb = sin(tθ)/sin θ; lerp when sin θ < 1e-6),
//             written to scalars[2·stream], scalars[2·stream + 1].
//   2 start:  x = StartScale·z₀ (z₀ = noise stream 0, slerped when t > 0); the network input c_in·x.
//   3 step:   D = c_skip·x + c_out·F (F the network's output). Not last: x ← a·x + b·D + c·z₁ (the plan's transition,
//             z₁ = noise stream 1), network input c_in′·x. Last: result = clamp(D, −1, 1).
//   4 output: imageStore of result into the app's texture: e = clamp(v·0.5 + 0.5, 0, 1), sRGB-decoded with LINEAR_OUTPUT,
//             a = 1; texture row 0 = image row 0 (as GlTextureSink). OUTPUT_FORMAT and LINEAR_OUTPUT defined by the host.
//   5 noise:  x = noise stream `stream` of seed A (tests).
// Noise: a counter-based hash (two rounds of pcg4d, Jarzynski & Olano 2020) of (pair index, stream, seed) and
// Box–Muller; element 2k takes r·cos φ, 2k + 1 takes r·sin φ of pair k. Different values from libtorch's generator for
// the same seed (documented). With injected = 1 the values come from the noise buffer instead,
// noise[(slot·2 + stream)·n + i] (slot 0 = seed A, 1 = seed B), so tests can feed libtorch's noise.
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 3) readonly buffer Noise { float injectedNoise[]; };
layout(std430, binding = 4) buffer Scalars { float scalars[]; };
uniform int n;                 // 3·H·W
uniform uvec2 seedA, seedB;    // (low, high) 32-bit halves
uniform int injected;
uniform float t;               // slerp position, 0 = seed A alone
uniform int xOff, netOff, fOff, resultOff;
uniform float startScale, cIn, cSkip, cOut;
uniform float wInput, wDenoised, wNoise;
uniform int last;
uniform int stream;
#if PASS == 4
uniform ivec2 size;
layout(binding = 0, OUTPUT_FORMAT) writeonly uniform image2D destination;
#endif

uvec4 pcg4d(uvec4 v)
{
    v = v * 1664525u + 1013904223u;
    v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
    v ^= v >> 16u;
    v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
    return v;
}

float hashedNormal(uvec2 seed, int s, int i)
{
    uvec4 h = pcg4d(uvec4(uint(i >> 1), uint(s), seed.x, seed.y));
    h = pcg4d(h ^ uvec4(seed.y, seed.x, 0x9E3779B9u, 0x85EBCA6Bu));
    float u1 = (float(h.x >> 8u) + 1.0) * (1.0 / 16777216.0);  // (0, 1]
    float u2 = float(h.y >> 8u) * (1.0 / 16777216.0);          // [0, 1)
    float r = sqrt(-2.0 * log(u1));
    float phi = 6.28318530717958647692 * u2;
    return (i & 1) == 0 ? r * cos(phi) : r * sin(phi);
}

float noiseAt(int slot, int s, int i)
{
    if (injected != 0) return injectedNoise[(slot * 2 + s) * n + i];
    return hashedNormal(slot == 0 ? seedA : seedB, s, i);
}

float mixedNoise(int s, int i)
{
    float a = noiseAt(0, s, i);
    if (t == 0.0) return a;
    return a * scalars[2 * s] + noiseAt(1, s, i) * scalars[2 * s + 1];
}

#if PASS == 1
shared float partial[3][256];
#endif

void main()
{
#if PASS == 1
    uint l = gl_LocalInvocationID.x;
    float ab = 0.0, aa = 0.0, bb = 0.0;
    for (int i = int(l); i < n; i += 256)
    {
        float a = noiseAt(0, stream, i), b = noiseAt(1, stream, i);
        ab += a * b; aa += a * a; bb += b * b;
    }
    partial[0][l] = ab; partial[1][l] = aa; partial[2][l] = bb;
    barrier();
    for (uint s = 128u; s > 0u; s >>= 1u)
    {
        if (l < s) for (int k = 0; k < 3; k++) partial[k][l] += partial[k][l + s];
        barrier();
    }
    if (l == 0u)
    {
        float wa = 1.0 - t, wb = t;
        if (partial[1][0] > 0.0 && partial[2][0] > 0.0)
        {
            float c = clamp(partial[0][0] / sqrt(partial[1][0] * partial[2][0]), -1.0, 1.0);
            float theta = acos(c), sinTheta = sin(theta);
            if (sinTheta >= 1e-6) { wa = sin((1.0 - t) * theta) / sinTheta; wb = sin(t * theta) / sinTheta; }
        }
        scalars[2 * stream] = wa;
        scalars[2 * stream + 1] = wb;
    }
#else
    int i = int(gl_GlobalInvocationID.x);
#if PASS == 4
    if (i >= size.x * size.y) return;
    int plane = size.x * size.y;
    vec3 v = vec3(act[resultOff + i], act[resultOff + plane + i], act[resultOff + 2 * plane + i]);
    vec3 e = clamp(v * 0.5 + 0.5, 0.0, 1.0);
#if LINEAR_OUTPUT
    e = mix(e / 12.92, pow((e + 0.055) / 1.055, vec3(2.4)), greaterThan(e, vec3(0.04045)));
#endif
    imageStore(destination, ivec2(i % size.x, i / size.x), vec4(e, 1.0));
#else
    if (i >= n) return;
#if PASS == 2
    float x = mixedNoise(0, i) * startScale;
    act[xOff + i] = x;
    act[netOff + i] = x * cIn;
#elif PASS == 5
    act[xOff + i] = noiseAt(0, stream, i);
#elif PASS == 3
    float x = act[xOff + i];
    float d = cSkip * x + cOut * act[fOff + i];
    if (last != 0)
    {
        act[resultOff + i] = clamp(d, -1.0, 1.0);
    }
    else
    {
        float next = wDenoised == 1.0 ? d : wDenoised * d;
        if (wInput != 0.0) next += wInput * x;
        if (wNoise != 0.0) next += wNoise * mixedNoise(1, i);
        act[xOff + i] = next;
        act[netOff + i] = next * cIn;
    }
#endif
#endif
#endif
}
