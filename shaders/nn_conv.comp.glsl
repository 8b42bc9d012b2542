#version 430 core
// One 2-D convolution of the GL compute backend (GlComputeNetwork), stride 1, "same" size, batch 1, planar [C, H, W]
// float activations in the arena SSBO. KERNEL (3 or 1) is defined by the host. An invocation computes 4 output channels
// (one vec4 of packed weights per input channel and tap) at 4 horizontally adjacent pixels: 16 accumulators, each
// input value loaded once per tap row serves 4 channels, each weight vec4 serves 4 pixels. The workgroup shares its
// output-channel block (gl_WorkGroupID.z), so weight loads are uniform across it.
// Input: two channel segments (concatenation by addressing): channels [0, cin0) at in0, then [0, cin1) at in1.
// Zero padding (circular = 0) or wrap-around (circular = 1, seamless tiling) for 3×3. Optional residual added after the
// bias (the ResBlock's h + skip fused into its last convolution). Weights: vec4 w4[wOff + (cob·cin + ci)·K² + tap] =
// weight[4·cob + 0..3][ci][tap] (zero past cout); bias: float w1[bOff + co].
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 1) readonly buffer Weights4 { vec4 w4[]; };
layout(std430, binding = 1) readonly buffer Weights1 { float w1[]; };
uniform ivec2 size;      // W, H
uniform int in0, cin0, in1, cin1;
uniform int outOff, cout;
uniform int wOff, bOff;
uniform int residual;    // arena offset of a [cout, H, W] value to add, or -1
uniform int circular;

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
    vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
#if KERNEL == 3
    int rowIndex[3];
    float rowValid[3];
    for (int d = 0; d < 3; d++)
    {
        int yy = y + d - 1;
        if (circular != 0) { yy = (yy + H) % H; rowValid[d] = 1.0; }
        else { rowValid[d] = (yy >= 0 && yy < H) ? 1.0 : 0.0; yy = clamp(yy, 0, H - 1); }
        rowIndex[d] = yy * W;
    }
    int colIndex[6];
    float colValid[6];
    for (int k = 0; k < 6; k++)
    {
        int xx = x0 + k - 1;
        if (circular != 0) { xx = (xx + W) % W; colValid[k] = 1.0; } // xx ≥ −1 (GLSL leaves % of negatives undefined)
        else { colValid[k] = (xx >= 0 && xx < W) ? 1.0 : 0.0; xx = clamp(xx, 0, W - 1); }
        colIndex[k] = xx;
    }
    int wi = wOff + cob * cin * 9;
    for (int s = 0; s < 2; s++)
    {
        int base = s == 0 ? in0 : in1;
        int count = s == 0 ? cin0 : cin1;
        for (int ci = 0; ci < count; ci++, base += plane, wi += 9)
        {
            for (int d = 0; d < 3; d++)
            {
                int r = base + rowIndex[d];
                float m = rowValid[d];
                float v0 = act[r + colIndex[0]] * (m * colValid[0]);
                float v1 = act[r + colIndex[1]] * (m * colValid[1]);
                float v2 = act[r + colIndex[2]] * (m * colValid[2]);
                float v3 = act[r + colIndex[3]] * (m * colValid[3]);
                float v4 = act[r + colIndex[4]] * (m * colValid[4]);
                float v5 = act[r + colIndex[5]] * (m * colValid[5]);
                vec4 a = w4[wi + d * 3], b = w4[wi + d * 3 + 1], c = w4[wi + d * 3 + 2];
                acc0 += a * v0 + b * v1 + c * v2;
                acc1 += a * v1 + b * v2 + c * v3;
                acc2 += a * v2 + b * v3 + c * v4;
                acc3 += a * v3 + b * v4 + c * v5;
            }
        }
    }
#else
    int p = y * W;
    int c0 = min(x0, W - 1), c1 = min(x0 + 1, W - 1), c2 = min(x0 + 2, W - 1), c3 = min(x0 + 3, W - 1);
    int wi = wOff + cob * cin;
    for (int s = 0; s < 2; s++)
    {
        int base = (s == 0 ? in0 : in1) + p;
        int count = s == 0 ? cin0 : cin1;
        for (int ci = 0; ci < count; ci++, base += plane, wi++)
        {
            vec4 a = w4[wi];
            acc0 += a * act[base + c0];
            acc1 += a * act[base + c1];
            acc2 += a * act[base + c2];
            acc3 += a * act[base + c3];
        }
    }
#endif
    vec4 acc[4] = vec4[4](acc0, acc1, acc2, acc3);
    for (int k = 0; k < 4; k++)
    {
        int co = cob * 4 + k;
        if (co >= cout) break;
        float bias = w1[bOff + co];
        for (int q = 0; q < 4; q++)
        {
            int x = x0 + q;
            if (x >= W) break;
            int o = co * plane + y * W + x;
            float v = acc[q][k] + bias;
            if (residual >= 0) v += act[residual + o];
            act[outOff + o] = v;
        }
    }
}
