//! What a picture upload costs the thumbnail workers: decoding, normalising,
//! the three contained variants and the PNG encodings, for a full-HD frame
//! and a 12-megapixel photo; and a 400×400 avatar.
//!
//! `cargo bench --bench thumbnails`

use criterion::{criterion_group, criterion_main, Criterion};
use image::{DynamicImage, ImageFormat, RgbImage};
use std::io::Cursor;
use tusk_actors::thumbnails;

/// A picture with gradients, so that it neither compresses to nothing nor
/// resizes like a flat colour.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn variants(c: &mut Criterion) {
    let mut group = c.benchmark_group("thumbnails");
    group.sample_size(10);
    for (width, height, format, label) in [
        (1920, 1080, ImageFormat::Png, "png 1920x1080"),
        (4000, 3000, ImageFormat::Jpeg, "jpeg 4000x3000"),
    ] {
        let upload = picture(width, height, format);
        group.bench_function(format!("preview pictures of a {label}"), |b| {
            b.iter(|| thumbnails::preview_pictures(Cursor::new(&upload)).unwrap())
        });
        group.bench_function(format!("avatar of a {label}"), |b| {
            b.iter(|| thumbnails::avatar(Cursor::new(&upload)).unwrap())
        });
        group.bench_function(format!("decode a {label}"), |b| {
            b.iter(|| thumbnails::decode(Cursor::new(&upload)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, variants);
criterion_main!(benches);
