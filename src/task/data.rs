//! Image data sets: MNIST and Fashion-MNIST as IDX files (optionally
//! gzipped), CIFAR-10 as its binary batches. Pixels are normalised per
//! channel with the data set's usual mean and standard deviation.

use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use crate::plan::DataKind;

/// Images (N × C × H × W, normalised) and their labels.
#[derive(Debug, Clone)]
pub struct Split {
    pub images: Vec<f32>,
    pub labels: Vec<u8>,
}

impl Split {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A loaded data set: its kind, image shape C × H × W, number of classes, and training and test splits.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub kind: DataKind,
    pub shape: [usize; 3],
    pub classes: usize,
    pub train: Split,
    pub test: Split,
}

/// What went wrong reading a data set, and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DataError {
    pub message: String,
    pub help: String,
}

/// The files of `kind` that `dir` lacks (a file may also be there gzipped).
pub fn missing_files(kind: DataKind, dir: &Path) -> Vec<&'static str> {
    kind.files().iter().copied().filter(|f| find(dir, f).is_none()).collect()
}

fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))].into_iter().find(|p| p.is_file())
}

/// Loads a data set once per process; later calls share it.
pub fn load(kind: DataKind, dir: &Path) -> Result<Arc<Dataset>, DataError> {
    type Cache = Mutex<HashMap<(DataKind, PathBuf), Arc<Dataset>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (kind, dir.to_path_buf());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(d) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(d.clone());
    }
    let data = Arc::new(read(kind, dir)?);
    cache.lock().map_err(|_| poisoned())?.insert(key, data.clone());
    Ok(data)
}

fn poisoned() -> DataError {
    DataError { message: "the data cache is unusable after a failed load".into(), help: "run again".into() }
}

fn read(kind: DataKind, dir: &Path) -> Result<Dataset, DataError> {
    let missing = missing_files(kind, dir);
    if !missing.is_empty() {
        return Err(DataError {
            message: format!("{} lacks {}", dir.display(), missing.join(", ")),
            help: kind.how_to_get().into(),
        });
    }
    let (shape, train, test) = match kind {
        DataKind::Mnist | DataKind::Fashion => {
            let train = idx_split(dir, "train")?;
            let test = idx_split(dir, "t10k")?;
            ([1, 28, 28], train, test)
        }
        DataKind::Cifar10 => {
            let mut train = (vec![], vec![]);
            for b in 1..=5 {
                let (i, l) = cifar_batch(dir, &format!("data_batch_{b}.bin"))?;
                train.0.extend(i);
                train.1.extend(l);
            }
            ([3, 32, 32], train, cifar_batch(dir, "test_batch.bin")?)
        }
    };
    let (mean, std) = kind.normalisation();
    let norm = |(bytes, labels): (Vec<u8>, Vec<u8>)| {
        let plane = shape[1] * shape[2];
        let images = bytes.iter().enumerate().map(|(i, b)| {
            let c = (i / plane) % shape[0];
            (f32::from(*b) / 255.0 - mean[c]) / std[c]
        });
        Split { images: images.collect(), labels }
    };
    Ok(Dataset { kind, shape, classes: 10, train: norm(train), test: norm(test) })
}

fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, DataError> {
    let path =
        find(dir, name).ok_or_else(|| DataError { message: format!("{name} is missing"), help: String::new() })?;
    let io = |e: std::io::Error| DataError {
        message: format!("cannot read {}: {e}", path.display()),
        help: "check the file".into(),
    };
    let mut bytes = std::fs::read(&path).map_err(io)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = vec![];
        GzDecoder::new(bytes.as_slice()).read_to_end(&mut out).map_err(io)?;
        bytes = out;
    }
    Ok(bytes)
}

fn malformed(name: &str, why: &str) -> DataError {
    DataError { message: format!("{name} is not a valid IDX file: {why}"), help: "fetch the files again".into() }
}

fn be_u32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// `PREFIX-images-idx3-ubyte` and `PREFIX-labels-idx1-ubyte`.
fn idx_split(dir: &Path, prefix: &str) -> Result<(Vec<u8>, Vec<u8>), DataError> {
    let (iname, lname) = (format!("{prefix}-images-idx3-ubyte"), format!("{prefix}-labels-idx1-ubyte"));
    let images = read_file(dir, &iname)?;
    let labels = read_file(dir, &lname)?;
    if images.len() < 16 || be_u32(&images, 0) != 0x0803 {
        return Err(malformed(&iname, "bad header"));
    }
    if labels.len() < 8 || be_u32(&labels, 0) != 0x0801 {
        return Err(malformed(&lname, "bad header"));
    }
    let (n, rows, cols) = (be_u32(&images, 4), be_u32(&images, 8), be_u32(&images, 12));
    if (rows, cols) != (28, 28) || images.len() != 16 + n * 784 {
        return Err(malformed(&iname, "expected 28 × 28 images and a length matching the header"));
    }
    if be_u32(&labels, 4) != n || labels.len() != 8 + n {
        return Err(malformed(&lname, "the label count does not match the images"));
    }
    if labels[8..].iter().any(|l| *l > 9) {
        return Err(malformed(&lname, "a label is above 9"));
    }
    Ok((images[16..].to_vec(), labels[8..].to_vec()))
}

fn cifar_batch(dir: &Path, name: &str) -> Result<(Vec<u8>, Vec<u8>), DataError> {
    let bytes = read_file(dir, name)?;
    if bytes.is_empty() || bytes.len() % 3073 != 0 {
        return Err(malformed(name, "not a whole number of 3,073-byte records"));
    }
    let (mut images, mut labels) = (Vec::with_capacity(bytes.len()), vec![]);
    for rec in bytes.chunks_exact(3073) {
        labels.push(rec[0]);
        images.extend_from_slice(&rec[1..]);
    }
    Ok((images, labels))
}

/// Writes `n` random images per split (labels cycling through the ten
/// classes) in `kind`'s file format into `dir`. What a step costs does not
/// depend on the pixels, so `byz plan --estimate` times steps on these where
/// the real files are not at hand.
pub fn write_synthetic(kind: DataKind, dir: &Path, n: usize) -> std::io::Result<()> {
    use rand::{Rng, SeedableRng};
    std::fs::create_dir_all(dir)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut pixels = |len: usize| -> Vec<u8> { (0..len).map(|_| rng.random()).collect() };
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    match kind {
        DataKind::Mnist | DataKind::Fashion => {
            for prefix in ["train", "t10k"] {
                let mut images =
                    [0x0803u32, n as u32, 28, 28].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
                images.extend(pixels(n * 784));
                std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), images)?;
                let mut head = [0x0801u32, n as u32].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
                head.extend(&labels);
                std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), head)?;
            }
        }
        DataKind::Cifar10 => {
            for name in kind.files() {
                let records: Vec<u8> = labels.iter().flat_map(|l| std::iter::once(*l).chain(pixels(3072))).collect();
                std::fs::write(dir.join(name), records)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_idx(dir: &Path, prefix: &str, n: usize, label: u8) {
        let mut img = vec![0, 0, 8, 3];
        for v in [n as u32, 28, 28] {
            img.extend(v.to_be_bytes());
        }
        img.extend(std::iter::repeat_n(255u8, n * 784));
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), img).unwrap();
        let mut lab = vec![0, 0, 8, 1];
        lab.extend((n as u32).to_be_bytes());
        lab.extend(std::iter::repeat_n(label, n));
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), lab).unwrap();
    }

    #[test]
    fn reads_idx_and_reports_missing_or_malformed_files() {
        let dir = std::env::temp_dir().join(format!("byz-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = read(DataKind::Mnist, &dir).unwrap_err();
        assert!(err.message.contains("train-images-idx3-ubyte") && err.help.contains("fetch-mnist"), "{err:?}");
        write_idx(&dir, "train", 3, 7);
        write_idx(&dir, "t10k", 2, 1);
        let d = read(DataKind::Mnist, &dir).unwrap();
        assert_eq!((d.train.len(), d.test.len(), d.train.images.len()), (3, 2, 3 * 784));
        assert!((d.train.images[0] - (1.0 - 0.1307) / 0.3081).abs() < 1e-5);
        assert_eq!(d.test.labels, vec![1, 1]);
        std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 5]).unwrap();
        assert!(read(DataKind::Mnist, &dir).unwrap_err().message.contains("label count"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
