#version 330 core
// A round point sprite with a one-pixel soft edge and a darker rim.
in vec4 vColor;
uniform float uPointSize;
out vec4 fragColor;
void main() {
  if (vColor.a <= 0.0) discard;
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = length(c);
  float px = 2.0 / max(uPointSize, 1.0);
  float alpha = 1.0 - smoothstep(1.0 - px, 1.0, r);
  if (alpha <= 0.0) discard;
  float rim = smoothstep(1.0 - 3.0 * px, 1.0 - px, r);
  fragColor = vec4(mix(vColor.rgb, vColor.rgb * 0.45, rim * step(4.0, uPointSize)), vColor.a * alpha);
}
