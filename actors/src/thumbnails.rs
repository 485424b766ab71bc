//! The thumbnail workers: uploaded pictures decoded with limits, normalised and
//! turned into the PNG variants Zou stores, on a rayon pool of their own so that
//! no HTTP worker thread ever decodes or resizes.
//!
//! Every variant "contains" the picture, as Zou's do: scaled (up when smaller
//! on both axes) until it touches the box on one axis, centred on a fully
//! transparent canvas of exactly the box size. The picture is resized once,
//! straight to its final size, with a Lanczos filter (Zou's too).

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageEncoder, ImageReader, Limits, RgbaImage};
use std::io::{BufRead, Seek};
use std::sync::Arc;
use tokio::sync::{oneshot, Semaphore};

/// The `thumbnails` box.
pub const THUMBNAIL: (u32, u32) = (150, 100);
/// The `thumbnails-square` box.
pub const SQUARE: (u32, u32) = (100, 100);
/// The width of `previews`; their height keeps the picture's ratio.
pub const PREVIEW_WIDTH: u32 = 1200;
/// Person, project and organisation avatars.
pub const AVATAR: (u32, u32) = (400, 400);

/// Zou's default `MAX_IMAGE_PIXELS` is 20000×20000: no side may exceed it.
const MAX_SIDE: u32 = 20_000;
/// What decoding one picture may allocate: an 8-bit RGBA picture of 64
/// megapixels. A bomb (a small file that claims a huge picture) is refused
/// before anything that large is allocated.
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
const FILTER: FilterType = FilterType::Lanczos3;

/// Not a picture this server can read: not PNG nor JPEG, broken, or too big.
/// The reason is for the logs; clients get one message for all.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An encoded PNG and the size of the picture it holds.
#[derive(Debug)]
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// What Zou stores for a picture preview, by storage prefix.
#[derive(Debug)]
pub struct PreviewPictures {
    /// The upload itself, normalised and re-encoded as PNG.
    pub original: Png,
    pub previews: Png,
    pub thumbnails: Png,
    pub thumbnails_square: Png,
}

impl PreviewPictures {
    /// The pictures with the prefix each is stored under.
    pub fn by_prefix(self) -> [(&'static str, Png); 4] {
        [
            ("original", self.original),
            ("previews", self.previews),
            ("thumbnails", self.thumbnails),
            ("thumbnails-square", self.thumbnails_square),
        ]
    }
}

/// Decodes a PNG or JPEG (the format is read from the content, not the name),
/// refusing pictures above the limits before they are decoded.
pub fn decode(source: impl BufRead + Seek) -> Result<DynamicImage, Unreadable> {
    let unreadable = |error: &dyn std::fmt::Display| Unreadable(error.to_string());
    let mut reader = ImageReader::new(source)
        .with_guessed_format()
        .map_err(|e| unreadable(&e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader.decode().map_err(|e| unreadable(&e))
}

/// 8 bits a channel, RGB, or RGBA when the picture has transparency: what
/// Zou's originals hold (16-bit and grey pictures included).
fn normalise(picture: DynamicImage) -> DynamicImage {
    if picture.color().has_alpha() {
        DynamicImage::ImageRgba8(picture.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(picture.into_rgb8())
    }
}

/// The box of a preview: 1200 wide, as high as the picture's ratio asks.
/// No higher than a picture may be: a sliver of 1×20,000 pixels would
/// otherwise ask for a preview 24 million pixels high.
pub fn preview_box(width: u32, height: u32) -> (u32, u32) {
    let height = (u64::from(PREVIEW_WIDTH) * u64::from(height)).div_ceil(u64::from(width.max(1)));
    (PREVIEW_WIDTH, height.clamp(1, u64::from(MAX_SIDE)) as u32)
}

/// The size a `width`×`height` picture takes in the box, following Zou's
/// steps: an upscale when it is smaller on both axes, then a fit to the box's
/// ratio when the two differ, then a shrink into the box.
pub fn contained_size((width, height): (u32, u32), (bw, bh): (u32, u32)) -> (u32, u32) {
    let (mut w, mut h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (bw, bh) = (u64::from(bw), u64::from(bh));
    if w < bw && h < bh {
        let scale = (bw as f64 / w as f64).min(bh as f64 / h as f64);
        w = ((w as f64 * scale).round() as u64).max(1);
        h = ((h as f64 * scale).round() as u64).max(1);
    }
    if w * bh != h * bw {
        let fitted_width = (bh * w).div_ceil(h);
        (w, h) = if fitted_width > bw {
            (bw, (bw * h).div_ceil(w))
        } else {
            (fitted_width, bh)
        };
    }
    if w > bw || h > bh {
        let scale = (bw as f64 / w as f64).min(bh as f64 / h as f64);
        w = ((w as f64 * scale).round() as u64).clamp(1, bw);
        h = ((h as f64 * scale).round() as u64).clamp(1, bh);
    }
    (w as u32, h as u32)
}

/// The picture contained in a transparent `box` (see [`contained_size`]).
pub fn contain(picture: &DynamicImage, size: (u32, u32)) -> RgbaImage {
    contain_as(picture, (picture.width(), picture.height()), size)
}

/// [`contain`] for a reduced copy of a `natural`-sized picture: sized and
/// placed as the picture itself would be.
fn contain_as(picture: &DynamicImage, natural: (u32, u32), (bw, bh): (u32, u32)) -> RgbaImage {
    let (w, h) = contained_size(natural, (bw, bh));
    let resized = if (w, h) == (picture.width(), picture.height()) {
        picture.to_rgba8()
    } else {
        // Resizing before the RGBA conversion only converts the small result.
        picture.resize_exact(w, h, FILTER).into_rgba8()
    };
    let mut canvas = RgbaImage::new(bw, bh);
    imageops::replace(
        &mut canvas,
        &resized,
        i64::from((bw - w) / 2),
        i64::from((bh - h) / 2),
    );
    canvas
}

/// Encodes a picture as PNG.
pub fn encode(picture: &DynamicImage) -> Png {
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, PngFilter::Adaptive)
        .write_image(
            picture.as_bytes(),
            picture.width(),
            picture.height(),
            picture.color().into(),
        )
        .expect("an 8-bit RGB or RGBA picture in memory always encodes");
    Png {
        bytes,
        width: picture.width(),
        height: picture.height(),
    }
}

fn contained_png(picture: &DynamicImage, natural: (u32, u32), size: (u32, u32)) -> Png {
    encode(&DynamicImage::ImageRgba8(contain_as(
        picture, natural, size,
    )))
}

/// The original, preview and thumbnails of an uploaded picture.
pub fn preview_pictures(source: impl BufRead + Seek) -> Result<PreviewPictures, Unreadable> {
    let original = normalise(decode(source)?);
    let preview = preview_box(original.width(), original.height());
    let previews = contain(&original, preview);
    // The thumbnails are a tenth of the preview's width: made from the
    // preview, they cost a fraction of a resize of a big original, and look the same.
    let small_source = if original.width() > PREVIEW_WIDTH {
        DynamicImage::ImageRgba8(previews.clone())
    } else {
        original.clone()
    };
    let natural = (original.width(), original.height());
    Ok(PreviewPictures {
        thumbnails: contained_png(&small_source, natural, THUMBNAIL),
        thumbnails_square: contained_png(&small_source, natural, SQUARE),
        previews: encode(&DynamicImage::ImageRgba8(previews)),
        original: encode(&original),
    })
}

/// A 400×400 avatar of an uploaded picture.
pub fn avatar(source: impl BufRead + Seek) -> Result<Png, Unreadable> {
    let picture = normalise(decode(source)?);
    Ok(contained_png(
        &picture,
        (picture.width(), picture.height()),
        AVATAR,
    ))
}

/// A job could not finish: it panicked.
#[derive(Debug)]
pub struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a thumbnail job panicked")
    }
}

/// A rayon pool for picture jobs, with a bounded queue: a job waits (without
/// holding a thread) for one of `threads + queue` places before it is handed
/// to the pool, so a burst of uploads queues in memory only that deep.
#[derive(Clone)]
pub struct ThumbnailWorkers {
    pool: Arc<rayon::ThreadPool>,
    places: Arc<Semaphore>,
}

impl ThumbnailWorkers {
    pub fn new(threads: usize, queue: usize) -> std::io::Result<ThumbnailWorkers> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|index| format!("thumbnails-{index}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(ThumbnailWorkers {
            pool: Arc::new(pool),
            places: Arc::new(Semaphore::new(threads + queue)),
        })
    }

    /// Runs the job on the pool and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Failed> {
        let place = self
            .places
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (sender, receiver) = oneshot::channel();
        self.pool.spawn(move || {
            // A panic would abort the process from a rayon thread: it becomes an error.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            drop(place);
            let _ = sender.send(result);
        });
        match receiver.await {
            Ok(Ok(result)) => Ok(result),
            _ => Err(Failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba};
    use std::io::Cursor;

    fn png_of(picture: DynamicImage) -> Vec<u8> {
        encode(&picture).bytes
    }

    fn read(png: &Png) -> RgbaImage {
        let picture = image::load_from_memory(&png.bytes).unwrap();
        assert_eq!((picture.width(), picture.height()), (png.width, png.height));
        picture.into_rgba8()
    }

    /// The rows of a contained picture that are not transparent.
    fn painted_rows(picture: &RgbaImage) -> Vec<u32> {
        (0..picture.height())
            .filter(|&y| (0..picture.width()).any(|x| picture.get_pixel(x, y)[3] > 0))
            .collect()
    }

    #[test]
    fn zou_sizes_are_kept() {
        assert_eq!(contained_size((64, 36), THUMBNAIL), (150, 84));
        assert_eq!(contained_size((64, 36), SQUARE), (100, 56));
        assert_eq!(contained_size((64, 36), AVATAR), (400, 225));
        assert_eq!(contained_size((64, 36), preview_box(64, 36)), (1200, 675));
        assert_eq!(preview_box(4000, 3000), (1200, 900));
        assert_eq!(
            contained_size((4000, 3000), preview_box(4000, 3000)),
            (1200, 900)
        );
        assert_eq!(preview_box(3000, 4000), (1200, 1600));
        assert_eq!(preview_box(1, 20_000), (1200, 20_000));
        assert_eq!(contained_size((1920, 1080), THUMBNAIL), (150, 85));
        assert_eq!(contained_size((100, 400), THUMBNAIL), (25, 100));
        assert_eq!(contained_size((1, 1), SQUARE), (100, 100));
        assert_eq!(contained_size((20_000, 1), THUMBNAIL), (150, 1));
    }

    #[test]
    fn a_small_picture_is_letterboxed_in_each_variant() {
        let upload = png_of(DynamicImage::ImageRgb8(RgbImage::from_pixel(
            64,
            36,
            Rgb([200, 10, 10]),
        )));
        let pictures = preview_pictures(Cursor::new(upload)).unwrap();
        let original = read(&pictures.original);
        assert_eq!(original.dimensions(), (64, 36));
        assert_eq!(
            image::load_from_memory(&pictures.original.bytes)
                .unwrap()
                .color(),
            image::ColorType::Rgb8,
            "no alpha was added to the original"
        );
        let thumbnail = read(&pictures.thumbnails);
        assert_eq!(thumbnail.dimensions(), (150, 100));
        assert_eq!(painted_rows(&thumbnail), (8..92).collect::<Vec<_>>());
        assert_eq!(*thumbnail.get_pixel(0, 0), Rgba([0, 0, 0, 0]));
        assert_eq!(*thumbnail.get_pixel(75, 50), Rgba([200, 10, 10, 255]));
        let square = read(&pictures.thumbnails_square);
        assert_eq!(square.dimensions(), (100, 100));
        assert_eq!(painted_rows(&square), (22..78).collect::<Vec<_>>());
        let preview = read(&pictures.previews);
        assert_eq!(preview.dimensions(), (1200, 675));
        assert_eq!(painted_rows(&preview).len(), 675);
    }

    #[test]
    fn a_big_picture_gets_a_1200_wide_preview() {
        let upload = png_of(DynamicImage::ImageRgb8(RgbImage::new(4000, 3000)));
        let pictures = preview_pictures(Cursor::new(upload)).unwrap();
        assert_eq!(
            (pictures.original.width, pictures.original.height),
            (4000, 3000)
        );
        assert_eq!(
            (pictures.previews.width, pictures.previews.height),
            (1200, 900)
        );
        let thumbnail = read(&pictures.thumbnails);
        assert_eq!(painted_rows(&thumbnail).len(), 100);
        // 134×100 at x=8.
        assert_eq!(
            thumbnail.get_pixel(7, 50)[3],
            0,
            "the sides are transparent"
        );
        assert_eq!(thumbnail.get_pixel(8, 50)[3], 255);
        assert_eq!(thumbnail.get_pixel(141, 50)[3], 255);
        assert_eq!(thumbnail.get_pixel(142, 50)[3], 0);
    }

    #[test]
    fn transparency_and_16_bits_are_normalised() {
        let mut picture = image::ImageBuffer::<image::Rgba<u16>, _>::new(30, 20);
        picture.put_pixel(0, 0, image::Rgba([65535, 0, 0, 65535]));
        let mut upload = Vec::new();
        DynamicImage::ImageRgba16(picture)
            .write_to(&mut Cursor::new(&mut upload), image::ImageFormat::Png)
            .unwrap();
        let original = preview_pictures(Cursor::new(upload)).unwrap().original;
        let decoded = image::load_from_memory(&original.bytes).unwrap();
        assert_eq!(decoded.color(), image::ColorType::Rgba8);
        assert_eq!(*decoded.to_rgba8().get_pixel(0, 0), Rgba([255, 0, 0, 255]));
        assert_eq!(decoded.to_rgba8().get_pixel(1, 1)[3], 0);
    }

    #[test]
    fn a_jpeg_is_read_whatever_its_name() {
        let mut upload = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(40, 40))
            .write_to(&mut Cursor::new(&mut upload), image::ImageFormat::Jpeg)
            .unwrap();
        let avatar = avatar(Cursor::new(upload)).unwrap();
        assert_eq!(read(&avatar).dimensions(), AVATAR);
    }

    #[test]
    fn garbage_and_truncated_files_are_unreadable() {
        assert!(decode(Cursor::new(b"%PDF-1.4 not a picture".to_vec())).is_err());
        assert!(decode(Cursor::new(Vec::new())).is_err());
        let whole = png_of(DynamicImage::ImageRgb8(RgbImage::new(300, 300)));
        assert!(decode(Cursor::new(whole[..whole.len() / 2].to_vec())).is_err());
    }

    /// A PNG whose header claims a picture of `width`×`height` with almost no data.
    fn bomb(width: u32, height: u32) -> Vec<u8> {
        let mut png = png_of(DynamicImage::ImageRgb8(RgbImage::new(1, 1)));
        // IHDR's data starts after the signature (8), the length (4) and the type (4).
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn bombs_are_refused_before_decoding() {
        // Within the sides allowed, but 1.2 GB once decoded.
        let refused = decode(Cursor::new(bomb(20_000, 20_000))).unwrap_err();
        assert!(refused.0.contains("limit"), "{refused}");
        assert!(decode(Cursor::new(bomb(60_000, 10))).is_err());
    }

    #[actix_rt::test]
    async fn workers_run_jobs_and_survive_a_panic() {
        let workers = ThumbnailWorkers::new(1, 1).unwrap();
        let jobs: Vec<_> = (0..4).map(|n| workers.run(move || n * 2)).collect();
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await.unwrap());
        }
        assert_eq!(results, vec![0, 2, 4, 6]);
        assert!(workers.run(|| panic!("boom")).await.is_err());
        assert_eq!(workers.run(|| 7).await.unwrap(), 7);
    }
}
