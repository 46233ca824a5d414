#version 330 core
// Image thumbnails as instanced quads. Per instance: centre (projection units), the image's slot
// in the atlas (layer, cell) and a border colour; the quad has a fixed size in pixels.
layout(location = 0) in vec2 aCorner;    // (0,0)..(1,1)
layout(location = 1) in vec2 aCentre;
layout(location = 2) in vec2 aSlot;      // x: cell index within the layer, y: layer
layout(location = 3) in vec4 aBorder;
uniform vec2 uCentre;
uniform vec2 uScale;
uniform vec2 uPixel;        // clip units per pixel
uniform float uSizePx;
uniform float uAspect;     // image width / height: the longer side is uSizePx
uniform float uCellsPerRow;
uniform vec2 uCellUv;       // size of one cell in uv units
out vec3 vUv;
out vec2 vLocal;
out vec4 vBorder;
void main() {
  vec2 c = (aCentre - uCentre) * uScale;
  vec2 side = uAspect >= 1.0 ? vec2(1.0, 1.0 / uAspect) : vec2(uAspect, 1.0);
  vec2 offset = (aCorner - 0.5) * side * uSizePx * uPixel;
  gl_Position = vec4(c + offset, 0.0, 1.0);
  float col = mod(aSlot.x, uCellsPerRow);
  float row = floor(aSlot.x / uCellsPerRow);
  vUv = vec3((vec2(col, row) + vec2(aCorner.x, 1.0 - aCorner.y)) * uCellUv, aSlot.y);
  vLocal = aCorner;
  vBorder = aBorder;
}
