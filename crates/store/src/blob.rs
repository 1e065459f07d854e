//! Blob storage for document bytes: a local directory by default, any
//! S3-compatible service in production, both through `object_store`. What
//! arrives here is already encrypted; this layer only moves bytes.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found: {0}")]
    NotFound(String),
    #[error("blob store misconfigured: {0}")]
    Config(String),
    #[error("blob store error: {0}")]
    Backend(#[from] object_store::Error),
}

/// Where blobs go; cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    description: String,
}

impl BlobStore {
    /// `s3://bucket[/prefix]` (credentials and endpoint from the standard
    /// `AWS_*` environment variables) or a local directory path, created if missing.
    pub fn open(location: &str) -> Result<BlobStore, BlobError> {
        BlobStore::open_with(location, &[])
    }

    /// Like [`BlobStore::open`], with S3 settings given explicitly as
    /// `object_store` keys (`aws_endpoint`, `aws_region`, `aws_allow_http`, …)
    /// on top of those from the environment.
    pub fn open_with(location: &str, s3_options: &[(&str, &str)]) -> Result<BlobStore, BlobError> {
        if location.starts_with("s3://") {
            let mut builder = AmazonS3Builder::from_env().with_url(location);
            for (key, value) in s3_options {
                let key = key
                    .parse::<AmazonS3ConfigKey>()
                    .map_err(|e| BlobError::Config(e.to_string()))?;
                builder = builder.with_config(key, *value);
            }
            let s3 = builder
                .build()
                .map_err(|e| BlobError::Config(e.to_string()))?;
            let inner: Arc<dyn ObjectStore> =
                match location.trim_start_matches("s3://").split_once('/') {
                    Some((_, prefix)) if !prefix.is_empty() => Arc::new(
                        object_store::prefix::PrefixStore::new(s3, Path::from(prefix)),
                    ),
                    _ => Arc::new(s3),
                };
            Ok(BlobStore {
                inner,
                description: location.to_string(),
            })
        } else {
            let dir = location.strip_prefix("file://").unwrap_or(location);
            std::fs::create_dir_all(dir).map_err(|e| BlobError::Config(format!("{dir}: {e}")))?;
            let fs = LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| BlobError::Config(e.to_string()))?;
            Ok(BlobStore {
                inner: Arc::new(fs),
                description: dir.to_string(),
            })
        }
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        match self.inner.get(&Path::from(key)).await {
            Ok(r) => Ok(r.bytes().await?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
