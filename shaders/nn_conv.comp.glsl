#version 430 core
// One 2-D convolution of the GL compute backend (GlComputeNetwork), stride 1, "same" size, batch 1, planar [C, H, W]
// float activations in the arena SSBO. KERNEL (3 or 1) and CIRCULAR (0 or 1, 3×3 only) are defined by the host.
// An invocation computes 8 output channels (two vec4 of packed weights per input channel and tap) at 4 horizontally
// adjacent pixels: 32 accumulators; each input value loaded once per tap row serves 8 channels, each weight vec4 serves
// 4 pixels. The workgroup shares its output-channel block (gl_WorkGroupID.z), so weight loads are uniform across it.
// Input: two channel segments (concatenation by addressing): channels [0, cin0) at in0, then [0, cin1) at in1.
// Zero padding (CIRCULAR 0) or wrap-around (CIRCULAR 1, seamless tiling) for 3×3. Optional residual added after the
// bias (the ResBlock's h + skip fused into one of its convolutions). Weights: vec4 w4[wOff + ((cob·cin + ci)·K² + tap)·2 + j]
// = weight[8·cob + 4·j + 0..3][ci][tap] (zero past cout); bias: float w1[bOff + co].
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 1) readonly buffer Weights4 { vec4 w4[]; };
layout(std430, binding = 1) readonly buffer Weights1 { float w1[]; };
uniform ivec2 size;      // W, H
uniform int in0, cin0, in1, cin1;
uniform int outOff, cout;
uniform int wOff, bOff;
uniform int residual;    // arena offset of a [cout, H, W] value to add, or -1

void main()
{
    int W = size.x, H = size.y;
    int blocksX = (W + 3) / 4;
    int block = int(gl_GlobalInvocationID.x);
    if (block >= blocksX * H) return;
    int y = block / blocksX;
    int x0 = (block - y * blocksX) * 4;
    int cob = int(gl_WorkGroupID.z);
    int cin = cin0 + cin1;
    int plane = W * H;
    vec4 p0 = vec4(0.0), p1 = vec4(0.0), p2 = vec4(0.0), p3 = vec4(0.0); // channels 8·cob + 0..3 at pixels x0 + 0..3
    vec4 q0 = vec4(0.0), q1 = vec4(0.0), q2 = vec4(0.0), q3 = vec4(0.0); // channels 8·cob + 4..7
#if KERNEL == 3
    int rowIndex[3];
    int colIndex[6];
#if CIRCULAR
    for (int d = 0; d < 3; d++) rowIndex[d] = ((y + d - 1 + H) % H) * W;          // y + d − 1 ≥ −1 (GLSL leaves % of negatives undefined)
    for (int k = 0; k < 6; k++) colIndex[k] = (x0 + k - 1 + W) % W;
#else
    float rowValid[3], colValid[6];
    for (int d = 0; d < 3; d++)
    {
        int yy = y + d - 1;
        rowValid[d] = (yy >= 0 && yy < H) ? 1.0 : 0.0;
        rowIndex[d] = clamp(yy, 0, H - 1) * W;
    }
    for (int k = 0; k < 6; k++)
    {
        int xx = x0 + k - 1;
        colValid[k] = (xx >= 0 && xx < W) ? 1.0 : 0.0;
        colIndex[k] = clamp(xx, 0, W - 1);
    }
#endif
    int wi = wOff + cob * cin * 18;
    for (int s = 0; s < 2; s++)
    {
        int base = s == 0 ? in0 : in1;
        int count = s == 0 ? cin0 : cin1;
        for (int ci = 0; ci < count; ci++, base += plane, wi += 18)
        {
            for (int d = 0; d < 3; d++)
            {
                int r = base + rowIndex[d];
                float v0 = act[r + colIndex[0]], v1 = act[r + colIndex[1]], v2 = act[r + colIndex[2]];
                float v3 = act[r + colIndex[3]], v4 = act[r + colIndex[4]], v5 = act[r + colIndex[5]];
#if !CIRCULAR
                float m = rowValid[d];
                v0 *= m * colValid[0]; v1 *= m * colValid[1]; v2 *= m * colValid[2];
                v3 *= m * colValid[3]; v4 *= m * colValid[4]; v5 *= m * colValid[5];
#endif
                int t = wi + d * 6;
                vec4 a = w4[t], b = w4[t + 2], c = w4[t + 4];
                vec4 e = w4[t + 1], f = w4[t + 3], g = w4[t + 5];
                p0 += a * v0 + b * v1 + c * v2;
                p1 += a * v1 + b * v2 + c * v3;
                p2 += a * v2 + b * v3 + c * v4;
                p3 += a * v3 + b * v4 + c * v5;
                q0 += e * v0 + f * v1 + g * v2;
                q1 += e * v1 + f * v2 + g * v3;
                q2 += e * v2 + f * v3 + g * v4;
                q3 += e * v3 + f * v4 + g * v5;
            }
        }
    }
#else
    int pr = y * W;
    int c0 = min(x0, W - 1), c1 = min(x0 + 1, W - 1), c2 = min(x0 + 2, W - 1), c3 = min(x0 + 3, W - 1);
    int wi = wOff + cob * cin * 2;
    for (int s = 0; s < 2; s++)
    {
        int base = (s == 0 ? in0 : in1) + pr;
        int count = s == 0 ? cin0 : cin1;
        for (int ci = 0; ci < count; ci++, base += plane, wi += 2)
        {
            vec4 a = w4[wi], e = w4[wi + 1];
            float v0 = act[base + c0], v1 = act[base + c1], v2 = act[base + c2], v3 = act[base + c3];
            p0 += a * v0; p1 += a * v1; p2 += a * v2; p3 += a * v3;
            q0 += e * v0; q1 += e * v1; q2 += e * v2; q3 += e * v3;
        }
    }
#endif
    vec4 acc[8] = vec4[8](p0, p1, p2, p3, q0, q1, q2, q3);
    for (int k = 0; k < 8; k++)
    {
        int co = cob * 8 + k;
        if (co >= cout) break;
        float bias = w1[bOff + co];
        for (int q = 0; q < 4; q++)
        {
            int x = x0 + q;
            if (x >= W) break;
            int o = co * plane + y * W + x;
            float v = acc[(k >> 2) * 4 + q][k & 3] + bias;
            if (residual >= 0) v += act[residual + o];
            act[outOff + o] = v;
        }
    }
}
