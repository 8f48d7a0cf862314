-- Equitas schema version 19: each country's short name in the UN terminology database (UNTERM
-- English Short, its article "(the)" dropped), the English name shown (docs/formulas.md 2):
-- "United Republic of Tanzania", "Côte d'Ivoire" from CLDR where UNTERM gives none. Filled when
-- the country codes are imported again (`equitas demo` does).
ALTER TABLE countries ADD COLUMN name_un TEXT;
