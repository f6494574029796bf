"""The reference job in Python with OpenCV, for comparison with the edges benchmark.

For every JPEG in IN: imread -> cvtColor(BGR2GRAY) -> Sobel dx and dy (CV_32F) -> magnitude ->
convertScaleAbs (round, clamp to 8 bits) -> threshold(127, 255, THRESH_BINARY) -> imwrite PNG
(compression 3), one image after another as the reference example does. Prints one JSON line.
"""
import json
import os
import sys
import time

import cv2

src, out = sys.argv[1], sys.argv[2]
level = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(out, exist_ok=True)
files = sorted(f for f in os.listdir(src) if f.lower().endswith(('.jpg', '.jpeg')))
pixels = 0
started = time.perf_counter()
for name in files:
    img = cv2.imread(os.path.join(src, name), cv2.IMREAD_COLOR)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    edges = cv2.convertScaleAbs(cv2.magnitude(gx, gy))
    _, binary = cv2.threshold(edges, 127, 255, cv2.THRESH_BINARY)
    cv2.imwrite(os.path.join(out, os.path.splitext(name)[0] + '-edges.png'), binary, [cv2.IMWRITE_PNG_COMPRESSION, level])
    pixels += gray.shape[0] * gray.shape[1]
seconds = time.perf_counter() - started
print(json.dumps({'opencv': cv2.__version__, 'threads': cv2.getNumThreads(), 'images': len(files), 'megapixels': pixels / 1e6, 'seconds': seconds}))
