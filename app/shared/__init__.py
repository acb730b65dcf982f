"""Small helpers every feature may use: refusals, audit records, CSV, secrets, QR codes, forms."""
