#version 450 core
// Planar float texture → RGBA image. The planar input is an R32F texture of size W × 3H holding the
// network's [3, H, W] output row by row (rows 0..H-1 = R, H..2H-1 = G, 2H..3H-1 = B), values in [-1, 1].
// Output: rgb = clamp(v·0.5 + 0.5, 0, 1), a = 1. OUTPUT_FORMAT (rgba8 or rgba16f) is defined by the host
// right after the #version line.
layout(local_size_x = 8, local_size_y = 8) in;
layout(binding = 0) uniform sampler2D planar;
layout(binding = 0, OUTPUT_FORMAT) writeonly uniform image2D destination;
uniform ivec2 size;

void main()
{
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (p.x >= size.x || p.y >= size.y)
        return;
    float r = texelFetch(planar, p, 0).r;
    float g = texelFetch(planar, ivec2(p.x, p.y + size.y), 0).r;
    float b = texelFetch(planar, ivec2(p.x, p.y + 2 * size.y), 0).r;
    imageStore(destination, p, vec4(clamp(vec3(r, g, b) * 0.5 + 0.5, 0.0, 1.0), 1.0));
}
