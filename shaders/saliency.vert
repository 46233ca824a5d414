#version 330 core
// Dear ImGui's vertex layout (Position, UV, Color; the locations are bound to ImGui's own at link
// time), so that an ImGui image quad can be drawn with the signed colormap of saliency.frag.
uniform mat4 ProjMtx;
in vec2 Position;
in vec2 UV;
in vec4 Color;
out vec2 Frag_UV;
out vec4 Frag_Color;
void main() {
  Frag_UV = UV;
  Frag_Color = Color;
  gl_Position = ProjMtx * vec4(Position.xy, 0, 1);
}
