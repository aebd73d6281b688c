"""The theme's colour modes as the browser tests switch and measure them (WCAG 2 definitions)."""

from __future__ import annotations


def rgb(css: str) -> tuple[int, ...]:
    """The red, green and blue of a computed CSS colour such as ``rgb(12, 34, 56)`` or ``rgba(...)``."""
    return tuple(int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def luminance(colour: str | tuple[int, ...]) -> float:
    """WCAG relative luminance of an sRGB colour (a CSS string or a tuple), 0 (black) to 1 (white)."""
    channels = rgb(colour) if isinstance(colour, str) else colour[:3]
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str | tuple[int, ...], b: str | tuple[int, ...]) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def switch_to_dark(page) -> None:
    """Click the theme's toggle, which cycles light -> dark -> auto, until the page is dark."""
    html = page.locator("html")
    toggle = page.locator(".theme-switch-button").first
    for _ in range(3):
        if html.get_attribute("data-theme") == "dark":
            break
        toggle.click()
    assert html.get_attribute("data-theme") == "dark", "the toggle never set data-theme=dark"
