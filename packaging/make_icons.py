"""Render resources/icons/kiops-desktop.svg into every icon file the installers need.

    .venv/bin/python packaging/make_icons.py [ICON_DIR]

Writes ``kiops-desktop-SIZE.png`` for the hicolor theme and the Linux package (16 ... 512),
``kiops-desktop.ico`` (Windows executable and installer) and ``kiops-desktop.icns`` (macOS app
bundle). Qt's own SVG renderer draws the PNGs, so no image tool beyond the app's dependencies is
needed; the .ico and .icns containers are written here directly because both formats are just a
directory of PNG images (Windows Vista+ and macOS 10.7+ read PNG entries), which spares a Pillow
or iconutil dependency that is not available on every build machine. The outputs are committed;
run this again after changing the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS icon types that hold PNG data, by the pixel size they carry (retina variants share one).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16@2x
    (b"icp6", 64),
    (b"ic12", 64),  # 32@2x
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),  # 128@2x
    (b"ic09", 512),
    (b"ic14", 512),  # 256@2x
    (b"ic10", 1024),  # 512@2x
)
NAME = "kiops-desktop"
ROOT = Path(__file__).resolve().parents[1]


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size (width/height 0 means 256) + the PNG images."""
    sizes = [s for s in ICO_SIZES if s in images]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        png = images[size]
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(images: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(images[size])) + images[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    out = Path(argv[1]) if len(argv) > 1 else ROOT / "resources" / "icons"
    svg = ROOT / "resources" / "icons" / f"{NAME}.svg"
    _app = QGuiApplication([argv[0]])  # QPainter on a QImage needs the GUI module up
    images = {size: render_png(svg, size) for size in {*PNG_SIZES, *ICO_SIZES, 1024}}
    out.mkdir(parents=True, exist_ok=True)
    for size in PNG_SIZES:
        (out / f"{NAME}-{size}.png").write_bytes(images[size])
    (out / f"{NAME}.ico").write_bytes(ico(images))
    (out / f"{NAME}.icns").write_bytes(icns(images))
    print(f"wrote {len(PNG_SIZES)} PNGs, {NAME}.ico and {NAME}.icns to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
