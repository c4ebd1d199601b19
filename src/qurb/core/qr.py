"""QR codes as inline SVG (no image files, allowed by the content security policy)."""

import qrcode
import qrcode.image.svg


def qr_svg(data: str, box_size: int = 8) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    return str(image.to_string(encoding="unicode"))
