//! Stored documents: where the ciphertext lives and the document key, wrapped
//! by the organisation key. Shredding deletes the wrapped key.

use crate::audit::audit_scope_in_tx;
use crate::users::parse_id;
use crate::{DocumentRecord, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{OrgScope, Timestamp};
use sqlx::Row;

impl Store {
    pub async fn create_document(
        &self,
        scope: &OrgScope,
        doc: &DocumentRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "document.stored",
            doc.id.to_string(),
            format!("{} bytes", doc.size_bytes),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO documents (id, org_id, blob_key, content_type, size_bytes, wrapped_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(doc.id.to_string())
            .bind(scope.org().to_string())
            .bind(doc.blob_key.clone())
            .bind(doc.content_type.clone())
            .bind(doc.size_bytes)
            .bind(doc.wrapped_key.clone())
            .bind(doc.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn document(&self, scope: &OrgScope, id: uuid::Uuid) -> Result<DocumentRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(
                "SELECT id, org_id, blob_key, content_type, size_bytes, wrapped_key, created_at, destroyed_at \
                 FROM documents WHERE id = $1 AND org_id = $2",
            )
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            Ok(DocumentRecord {
                id: parse_id(r.try_get::<String, _>("id")?)?,
                org: parse_id(r.try_get::<String, _>("org_id")?)?,
                blob_key: r.try_get("blob_key")?,
                content_type: r.try_get("content_type")?,
                size_bytes: r.try_get("size_bytes")?,
                wrapped_key: r.try_get("wrapped_key")?,
                created_at: Timestamp::from_millis(r.try_get("created_at")?),
                destroyed_at: r
                    .try_get::<Option<i64>, _>("destroyed_at")?
                    .map(Timestamp::from_millis),
            })
        })
    }

    /// Destroys the document key (crypto-shredding). The record stays as proof.
    pub async fn shred_document(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("document.shredded", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE documents SET wrapped_key = NULL, destroyed_at = $1 \
                 WHERE id = $2 AND org_id = $3 AND destroyed_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
