-- One row per accepted document, unchanged.
SELECT document_id, body
FROM uploads
