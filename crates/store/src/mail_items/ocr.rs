//! Where the OCR of an item's scan is, and the recognised text it stores.

use super::clean_text;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::{MailItemId, Timestamp};

/// Where the OCR of an item's scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcrState {
    /// Nothing to recognise (not scanned, or a digital delivery with text).
    None,
    Queued,
    Running,
    Done,
    Failed,
}

impl OcrState {
    pub const fn as_str(self) -> &'static str {
        match self {
            OcrState::None => "none",
            OcrState::Queued => "queued",
            OcrState::Running => "running",
            OcrState::Done => "done",
            OcrState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => OcrState::None,
            "queued" => OcrState::Queued,
            "running" => OcrState::Running,
            "done" => OcrState::Done,
            "failed" => OcrState::Failed,
            _ => return None,
        })
    }
}

/// OCR progress of an item: `pages_done` of `pages_total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrProgress {
    pub state: OcrState,
    pub pages_done: i32,
    pub pages_total: i32,
    /// Why it failed, for the operator; [`OCR_UNAVAILABLE`] when the server
    /// has no text recognition.
    pub error: String,
}

/// The reason of a `failed` OCR when the server has no text recognition
/// installed: the scan is kept, search by its text is off. Also the words'
/// key (`ocr.unavailable`).
pub const OCR_UNAVAILABLE: &str = courrier_domain::codes::OCR_UNAVAILABLE.as_str();

impl OcrProgress {
    /// The text was not recognised because the server has no OCR.
    pub fn unavailable(&self) -> bool {
        self.state == OcrState::Failed && self.error == OCR_UNAVAILABLE
    }
}

impl Store {
    /// Records OCR progress of an item (for the OCR job, any organisation).
    pub async fn set_ocr_progress(
        &self,
        id: MailItemId,
        state: OcrState,
        pages_done: i32,
        pages_total: i32,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE mail_items SET ocr_state = $1, ocr_pages_done = $2, ocr_pages_total = $3, ocr_error = $4, \
                 updated_at = $5 WHERE id = $6",
            )
            .bind(state.as_str())
            .bind(pages_done)
            .bind(pages_total)
            .bind(error.chars().take(1000).collect::<String>())
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Stores an item's recognised text (OCR done), which the search index
    /// picks up in the same statement.
    pub async fn set_ocr_text(
        &self,
        id: MailItemId,
        text: &str,
        pages: i32,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE mail_items SET ocr_state = 'done', ocr_text = $1, ocr_pages_done = $2, ocr_pages_total = $2, \
                 ocr_error = '', pages = COALESCE(pages, $2), updated_at = $3 WHERE id = $4",
            )
            .bind(clean_text(text))
            .bind(pages)
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }
}
