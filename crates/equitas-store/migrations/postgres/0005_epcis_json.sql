-- Equitas schema version 5: events captured in the XML binding keep, beside
-- their XML text, their form in the JSON binding, which queries answer with
-- (equitas_epcis::json_out; NULL for events captured as JSON, whose body is JSON).
ALTER TABLE epcis_events ADD COLUMN body_json TEXT;
