#version 430 core
// Planar float texture → RGBA image. The planar input is an R32F 2D array texture of W × H with 3 layers holding the
// network's [3, H, W] output (layer 0 = R, 1 = G, 2 = B), values in [-1, 1] (display-referred sRGB once mapped).
// Output: e = clamp(v·0.5 + 0.5, 0, 1), a = 1; with LINEAR_OUTPUT 1 the sRGB decoding (IEC 61966-2-1) is applied,
// so the texture holds linear-light values. OUTPUT_FORMAT (rgba8 or rgba16f) and LINEAR_OUTPUT (0 or 1) are defined
// by the host right after the #version line. An sRGB texture is written through an RGBA8 view with LINEAR_OUTPUT 0.
layout(local_size_x = 8, local_size_y = 8) in;
layout(binding = 0) uniform sampler2DArray planar;
layout(binding = 0, OUTPUT_FORMAT) writeonly uniform image2D destination;
uniform ivec2 size;

vec3 decodeSrgb(vec3 e)
{
    return mix(e / 12.92, pow((e + 0.055) / 1.055, vec3(2.4)), greaterThan(e, vec3(0.04045)));
}

void main()
{
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (p.x >= size.x || p.y >= size.y)
        return;
    vec3 v = vec3(texelFetch(planar, ivec3(p, 0), 0).r, texelFetch(planar, ivec3(p, 1), 0).r, texelFetch(planar, ivec3(p, 2), 0).r);
    vec3 e = clamp(v * 0.5 + 0.5, 0.0, 1.0);
#if LINEAR_OUTPUT
    e = decodeSrgb(e);
#endif
    imageStore(destination, p, vec4(e, 1.0));
}
