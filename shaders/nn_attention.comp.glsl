#version 430 core
// Self-attention core of the GL compute backend: qkv [3·C, N] (channels ordered [3, heads, d], N = H·W pixels) →
// out [C, N] with out[h·d + k][i] = Σ_j softmax_j(q_i·k_j/√d)·v_j[k], one invocation per (pixel i, head h), online
// softmax (running max and sum, one pass over j). HEAD_DIM (d) is defined by the host.
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Arena { float act[]; };
uniform int n;           // pixels
uniform int heads;
uniform int qkvOff, outOff;

void main()
{
    int i = int(gl_GlobalInvocationID.x);
    int h = int(gl_GlobalInvocationID.y);
    if (i >= n || h >= heads) return;
    int C = heads * HEAD_DIM;
    int qBase = qkvOff + h * HEAD_DIM * n, kBase = qBase + C * n, vBase = kBase + C * n;
    float q[HEAD_DIM];
    float acc[HEAD_DIM];
    float scale = 1.0 / sqrt(float(HEAD_DIM));
    for (int k = 0; k < HEAD_DIM; k++) { q[k] = act[qBase + k * n + i] * scale; acc[k] = 0.0; }
    float m = -3.402823e38, l = 0.0;
    for (int j = 0; j < n; j++)
    {
        float s = 0.0;
        for (int k = 0; k < HEAD_DIM; k++) s += q[k] * act[kBase + k * n + j];
        float mNew = max(m, s);
        float correction = exp(m - mNew);
        float p = exp(s - mNew);
        l = l * correction + p;
        for (int k = 0; k < HEAD_DIM; k++) acc[k] = acc[k] * correction + p * act[vBase + k * n + j];
        m = mNew;
    }
    for (int k = 0; k < HEAD_DIM; k++) act[outOff + (h * HEAD_DIM + k) * n + i] = acc[k] / l;
}
