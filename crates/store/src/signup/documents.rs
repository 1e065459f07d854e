//! The identity documents of members, visible as the member is.

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::users::parse_id;
use crate::{MemberAccess, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::{DocumentSide, IdentityDocumentKind};
use courrier_domain::{MailboxId, MemberId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

/// An identity document of a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDocumentRecord {
    pub id: uuid::Uuid,
    pub member: MemberId,
    /// The customer, whose key seals the file.
    pub org: OrgId,
    /// The encrypted document.
    pub document: uuid::Uuid,
    pub kind: IdentityDocumentKind,
    pub side: DocumentSide,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub created_at: Timestamp,
}

const DOC_COLS: &str = "id, member_id, org_id, document_id, kind, side, file_name, content_type, size_bytes, \
    uploaded_by, created_at";

pub(crate) fn member_document_from_row(r: &impl RowExt) -> Result<MemberDocumentRecord> {
    Ok(MemberDocumentRecord {
        id: r.id("id")?,
        member: r.id("member_id")?,
        org: r.id("org_id")?,
        document: r.id("document_id")?,
        kind: r.parsed("kind", IdentityDocumentKind::parse)?,
        side: r.parsed("side", DocumentSide::parse)?,
        file_name: r.col("file_name")?,
        content_type: r.col("content_type")?,
        size_bytes: r.col("size_bytes")?,
        uploaded_by: r.col("uploaded_by")?,
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    // ----- identity documents -----

    /// Attaches an identity document (already stored, encrypted) to a
    /// member of the scope's organisation.
    pub async fn add_member_document(
        &self,
        scope: &OrgScope,
        doc: &MemberDocumentRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "mailbox.member_document_added",
            doc.member.to_string(),
            format!(
                "{} {} ({} bytes)",
                doc.kind,
                doc.side.as_str(),
                doc.size_bytes
            ),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> =
                sqlx::query_scalar("SELECT id FROM mailbox_members WHERE id = $1 AND org_id = $2")
                    .bind(doc.member.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO member_documents ({DOC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )))
            .bind(doc.id.to_string())
            .bind(doc.member.to_string())
            .bind(scope.org().to_string())
            .bind(doc.document.to_string())
            .bind(doc.kind.as_str())
            .bind(doc.side.as_str())
            .bind(doc.file_name.clone())
            .bind(doc.content_type.clone())
            .bind(doc.size_bytes)
            .bind(doc.uploaded_by.clone())
            .bind(doc.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A member's documents, oldest first, if the member is visible to the
    /// scope.
    pub async fn member_documents(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        member: MemberId,
    ) -> Result<Vec<MemberDocumentRecord>> {
        self.member(scope, access, member).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOC_COLS} FROM member_documents WHERE member_id = $1 ORDER BY created_at, id"
            )))
            .bind(member.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(member_document_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// One document of a member visible to the scope.
    pub async fn member_document(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        id: uuid::Uuid,
    ) -> Result<MemberDocumentRecord> {
        let doc = on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOC_COLS} FROM member_documents WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            member_document_from_row(&r)?
        });
        self.member(scope, access, doc.member).await?;
        Ok(doc)
    }

    /// How many documents each member of a mailbox has, for the members
    /// that have any.
    pub async fn member_document_counts(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
    ) -> Result<Vec<(MemberId, i64)>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT md.member_id, COUNT(*) AS n FROM member_documents md \
                 JOIN mailbox_members mm ON mm.id = md.member_id \
                 WHERE mm.mailbox_id = $1 AND mm.org_id = $2 GROUP BY md.member_id",
            )
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push((
                    parse_id(r.try_get::<String, _>("member_id")?)?,
                    r.try_get("n")?,
                ));
            }
        });
        Ok(out)
    }
}
