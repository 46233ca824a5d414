#version 330 core
// The image from the atlas (a 2D array texture: RGB, or grey read as RGB by a swizzle), framed in
// the point's colour.
in vec3 vUv;
in vec2 vLocal;
in vec4 vBorder;
uniform sampler2DArray uAtlas;
uniform float uBorder;      // border width in local units
out vec4 fragColor;
void main() {
  float edge = min(min(vLocal.x, 1.0 - vLocal.x), min(vLocal.y, 1.0 - vLocal.y));
  if (edge < uBorder) {
    fragColor = vec4(vBorder.rgb, 1.0);
    return;
  }
  fragColor = vec4(texture(uAtlas, vUv).rgb, 1.0);
}
