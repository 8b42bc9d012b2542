#version 450 core
// A unit quad in the xy plane, transformed by a model-view-projection matrix; uv spans [0, repeat].
layout(location = 0) in vec2 corner;   // (-1..1, -1..1)
uniform mat4 mvp;
uniform float repeatCount;             // 3 → the texture tiles 3×3 across the plane
out vec2 uv;

void main()
{
    // Texture row 0 is the image's top row, so v grows downwards on screen.
    uv = vec2(corner.x * 0.5 + 0.5, 0.5 - corner.y * 0.5) * repeatCount;
    gl_Position = mvp * vec4(corner, 0.0, 1.0);
}
