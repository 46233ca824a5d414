#version 330 core
// One vertex per data point, drawn as GL_POINTS. Position in projection units; the view maps it
// to clip space: clip = (pos - centre) * scale.
layout(location = 0) in vec2 aPos;
layout(location = 1) in vec4 aColor;
uniform vec2 uCentre;
uniform vec2 uScale;      // clip units per projection unit, x and y
uniform float uPointSize; // pixels
out vec4 vColor;
void main() {
  gl_Position = vec4((aPos - uCentre) * uScale, 0.0, 1.0);
  vColor = aColor;
}
