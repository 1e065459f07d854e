//! Documents at rest: each document is sealed with its own key before it
//! reaches the blob store; the key is wrapped by the organisation key and kept
//! in the database. Shredding destroys the wrapped key, so the ciphertext left
//! in the blob store (or in any backup) can no longer be opened.

use crate::{App, AppError, Result};
use courrier_domain::OrgScope;
use courrier_domain::codes;
use courrier_store::DocumentRecord;

impl App {
    pub async fn store_document(
        &self,
        scope: &OrgScope,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<uuid::Uuid> {
        let org = self.store.org(scope.org()).await?;
        let org_key = self.org_key(&org)?;
        let id = uuid::Uuid::new_v4();
        let context = id.to_string();
        let doc_key = crate::vault::SecretKey::random();
        let blob_key = format!("{}/{}", org.id, id);
        self.blobs
            .put(&blob_key, doc_key.seal(bytes, context.as_bytes()))
            .await?;
        let record = DocumentRecord {
            id,
            org: org.id,
            blob_key,
            content_type: content_type.to_string(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            wrapped_key: Some(org_key.wrap(&doc_key, context.as_bytes())),
            created_at: self.now(),
            destroyed_at: None,
        };
        if let Err(e) = self.store.create_document(scope, &record, self.now()).await {
            // Without its record the ciphertext can never be opened; do not leave it behind.
            if let Err(cleanup) = self.blobs.delete(&record.blob_key).await {
                tracing::warn!(blob = %record.blob_key, error = %cleanup, "orphaned ciphertext left in the blob store");
            }
            return Err(e.into());
        }
        Ok(id)
    }

    pub async fn read_document(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
    ) -> Result<(DocumentRecord, Vec<u8>)> {
        let doc = self.store.document(scope, id).await?;
        let wrapped = doc
            .wrapped_key
            .as_deref()
            .ok_or(AppError::Refused(codes::DOCUMENT_SHREDDED))?;
        let org = self.store.org(scope.org()).await?;
        let context = id.to_string();
        let doc_key = self
            .org_key(&org)?
            .unwrap_key(wrapped, context.as_bytes())
            .map_err(|_| AppError::internal("document key unreadable"))?;
        let sealed = self.blobs.get(&doc.blob_key).await?;
        let plain = doc_key
            .open(&sealed, context.as_bytes())
            .map_err(|_| AppError::internal("document damaged"))?;
        Ok((doc, plain))
    }

    /// Crypto-shreds a document, then removes its ciphertext.
    pub async fn shred_document(&self, scope: &OrgScope, id: uuid::Uuid) -> Result<()> {
        let doc = self.store.document(scope, id).await?;
        self.store.shred_document(scope, id, self.now()).await?;
        self.blobs.delete(&doc.blob_key).await?;
        Ok(())
    }
}
