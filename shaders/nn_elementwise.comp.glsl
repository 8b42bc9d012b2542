#version 430 core
// The GL compute backend's cheap ops on planar [C, H, W] float values in the arena, one invocation per output element.
// OP (defined by the host): 1 add a + b; 2 SiLU; 3 modulate x·(1 + emb[embOff + c]) + emb[embOff + C + c];
// 4 2×2 average pool (size = the input's W, H); 5 nearest 2× upsample (size = the input's); 6 pixel unshuffle by 2
// (out channel c·4 + i·2 + j = in pixel (2h + i, 2w + j); size = the input's); 7 pixel shuffle by 2 (the inverse; size =
// the input's). channels = the input's C.
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
layout(std430, binding = 2) readonly buffer Embedding { float emb[]; };
uniform ivec2 size;
uniform int channels;
uniform int inA, inB, outOff, embOff;

void main()
{
    int W = size.x, H = size.y;
    int i = int(gl_GlobalInvocationID.x);
    if (i >= channels * W * H) return;
#if OP == 1
    act[outOff + i] = act[inA + i] + act[inB + i];
#elif OP == 2
    float v = act[inA + i];
    act[outOff + i] = v / (1.0 + exp(-v));
#elif OP == 3
    int c = i / (W * H);
    act[outOff + i] = act[inA + i] * (1.0 + emb[embOff + c]) + emb[embOff + channels + c];
#elif OP == 4
    int w = W / 2, h = H / 2;
    if (i >= channels * w * h) return;
    int c = i / (w * h), r = i - c * w * h, y = r / w, x = r - y * w;
    int b = inA + c * W * H + 2 * y * W + 2 * x;
    act[outOff + i] = (act[b] + act[b + 1] + act[b + W] + act[b + W + 1]) / 4.0;
#elif OP == 5
    // i runs over the input; each input element writes its 2×2 block.
    int c = i / (W * H), r = i - c * W * H, y = r / W, x = r - y * W;
    float v = act[inA + i];
    int o = outOff + c * 4 * W * H + 2 * y * 2 * W + 2 * x;
    act[o] = v; act[o + 1] = v; act[o + 2 * W] = v; act[o + 2 * W + 1] = v;
#elif OP == 6
    // i runs over the input pixel (c, y, x) → out channel 4c + 2(y % 2) + x % 2 at (y/2, x/2).
    int c = i / (W * H), r = i - c * W * H, y = r / W, x = r - y * W;
    int w = W / 2, h = H / 2;
    act[outOff + (4 * c + 2 * (y & 1) + (x & 1)) * w * h + (y >> 1) * w + (x >> 1)] = act[inA + i];
#elif OP == 7
    // i runs over the input (c4, y, x) with c4 = 4c + 2i + j → out (c, 2y + i, 2x + j).
    int c4 = i / (W * H), r = i - c4 * W * H, y = r / W, x = r - y * W;
    int c = c4 >> 2, di = (c4 >> 1) & 1, dj = c4 & 1;
    act[outOff + c * 4 * W * H + (2 * y + di) * 2 * W + 2 * x + dj] = act[inA + i];
#endif
}
