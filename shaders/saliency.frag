#version 330 core
// A signed attribution map (one float channel) in blue - white - red, the same ramp as
// viewmath's signedColor: t = value / uClip, clamped to [-1, 1]. uOverlay = 1 draws it over an
// image: white (0) is transparent and the colour's opacity grows with |t|.
in vec2 Frag_UV;
in vec4 Frag_Color;
uniform sampler2D Texture;
uniform float uClip;
uniform float uOverlay;
out vec4 Out_Color;
void main() {
  float v = texture(Texture, Frag_UV).r;
  float t = uClip > 0.0 ? clamp(v / uClip, -1.0, 1.0) : 0.0;
  vec3 white = vec3(0.969, 0.969, 0.969);
  vec3 end = t < 0.0 ? vec3(0.129, 0.400, 0.674) : vec3(0.698, 0.094, 0.169);
  vec3 rgb = mix(white, end, abs(t));
  float alpha = uOverlay > 0.5 ? min(1.0, abs(t) * 1.5) : 1.0;
  Out_Color = vec4(rgb, alpha * Frag_Color.a);
}
