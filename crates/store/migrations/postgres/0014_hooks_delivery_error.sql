-- A webhook delivery's error is a class (timeout, dns, private_address,
-- refused, tls, http_3xx, http_4xx, http_5xx, endpoint_disabled, internal),
-- never the raw transport error, which could describe the network Courrier
-- runs in. Earlier free-text errors become their class.
UPDATE webhook_deliveries SET last_error = CASE
    WHEN last_status BETWEEN 300 AND 399 THEN 'http_3xx'
    WHEN last_status BETWEEN 500 AND 599 THEN 'http_5xx'
    WHEN last_status IS NOT NULL THEN 'http_4xx'
    WHEN LOWER(last_error) LIKE 'no answer within%' THEN 'timeout'
    WHEN LOWER(last_error) LIKE '%disabled%' THEN 'endpoint_disabled'
    WHEN LOWER(last_error) LIKE '%dns error%' OR LOWER(last_error) LIKE '%failed to lookup%' THEN 'dns'
    WHEN LOWER(last_error) LIKE '%certificate%' OR LOWER(last_error) LIKE '%tls%' THEN 'tls'
    WHEN LOWER(last_error) LIKE 'could not connect%' OR LOWER(last_error) LIKE 'request failed%' THEN 'refused'
    ELSE 'internal'
END
WHERE last_error IS NOT NULL;
