"""Files for people: complaint exports (and, later, digest text, chart and workbook)."""
