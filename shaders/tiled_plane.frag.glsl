#version 450 core
// Samples the generated texture with GL_REPEAT wrap, so seams between tiles show if the texture is not seamless.
layout(binding = 0) uniform sampler2D tex;
in vec2 uv;
out vec4 color;

void main()
{
    color = vec4(texture(tex, uv).rgb, 1.0);
}
