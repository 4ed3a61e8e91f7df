//! QR codes for links: SVG (posters, web pages) and PNG (print shops,
//! messaging). Pure: a string in, bytes out.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("text is too long for a QR code: {0}")]
    TooLong(String),
    #[error("writing PNG: {0}")]
    Png(String),
}

/// Error correction M: survives ~15% damage (a crease, a smudge) at a size
/// that still scans from a poster at arm's length.
fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| QrError::TooLong(e.to_string()))
}

/// An SVG image at least `min_px` wide, with the quiet zone.
pub fn svg(text: &str, min_px: u32) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(min_px, min_px)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// The SVG as a `data:` URL, for an `<img>` on pages without external assets.
pub fn svg_data_url(text: &str, min_px: u32) -> Result<String, QrError> {
    use base64::Engine as _;
    Ok(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg(text, min_px)?)))
}

/// A greyscale PNG, `scale` pixels per module, with a 4-module quiet zone.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let c = code(text)?;
    let modules = c.width() as u32;
    let colors = c.to_colors();
    let scale = scale.max(1);
    let quiet = 4;
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules, i as u32 / modules);
        for dy in 0..scale {
            let y = (my + quiet) * scale + dy;
            let row = (y * side) as usize;
            let x0 = ((mx + quiet) * scale) as usize;
            pixels[row + x0..row + x0 + scale as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| QrError::Png(e.to_string()))?;
        w.write_image_data(&pixels).map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a PNG written by `png` with an independent QR reader.
    pub fn decode_png(bytes: &[u8]) -> String {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut buf = vec![0; dec.output_buffer_size().unwrap()];
        let info = dec.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn png_decodes_to_the_url_and_svg_is_an_image() {
        let url = "https://xf.example.org/?src=0509-square";
        assert_eq!(decode_png(&png(url, 8).unwrap()), url);
        let s = svg(url, 300).unwrap();
        assert!(s.contains("<svg") && s.contains("#000000"));
        assert!(svg_data_url(url, 100).unwrap().starts_with("data:image/svg+xml;base64,"));
        assert!(matches!(png(&"x".repeat(5000), 4), Err(QrError::TooLong(_))));
    }
}
