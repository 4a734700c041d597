#!/bin/bash
# EXPLAIN (ANALYZE, BUFFERS) of the API's hot queries on a loaded country (docs/scaling.md):
# `benches/country_explain.sh > plans.md`; the database is `country` on 127.0.0.1.
DB="psql -h 127.0.0.1 -U postgres -d country -X -q"
FIRM=$($DB -tAc "SELECT counterparty_firm_id FROM ledger_entries WHERE kind = 'sale' AND counterparty_firm_id IS NOT NULL AND occurred_at > now() - interval '10 days' GROUP BY counterparty_firm_id ORDER BY count(*) DESC LIMIT 1")
CHEMS=$($DB -tAc "SELECT string_agg(quote_literal(chemical_id), ',') FROM (SELECT DISTINCT chemical_id FROM ledger_entries WHERE firm_id = '$FIRM') c")
echo "firm $FIRM"
q() { echo; echo "### $1"; echo '```'; $DB -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2" | sed '/^$/d'; echo '```'; }
q "ledger page (GET /firms/{id}/ledger?limit=50)" "SELECT * FROM ledger_entries WHERE firm_id = '$FIRM' AND seq > 400 ORDER BY seq ASC LIMIT 51"
q "chain head (every filing; the firm page)" "SELECT seq, hash FROM ledger_entries WHERE firm_id = '$FIRM' ORDER BY seq DESC LIMIT 1"
q "whole chain (the firm page's verification)" "SELECT * FROM ledger_entries WHERE firm_id = '$FIRM' AND seq > 0 ORDER BY seq ASC"
q "inventory (movements)" "SELECT id, seq, kind, chemical_id, lot, quantity, occurred_at, reverses FROM ledger_entries WHERE firm_id = '$FIRM' AND (chemical_id IN ($CHEMS) OR kind = 'reversal') ORDER BY seq ASC"
q "inbox: the firm's trade (GET /firms/{id}/incoming, receipts)" "SELECT * FROM ledger_entries WHERE kind IN ('sale', 'purchase') AND (firm_id = '$FIRM' OR counterparty_firm_id = '$FIRM') AND counterparty_firm_id IS NOT NULL"
q "inbox: reversals, before (every reversal of the country)" "SELECT * FROM ledger_entries WHERE reverses IS NOT NULL"
q "inbox: reversals, after (the parties' reversals only)" "SELECT * FROM ledger_entries WHERE firm_id IN (SELECT DISTINCT firm_id FROM ledger_entries WHERE counterparty_firm_id = '$FIRM' UNION SELECT '$FIRM') AND reverses IS NOT NULL"
q "in-transit board (GET /shipments, computed afresh)" "SELECT * FROM ledger_entries WHERE (kind IN ('sale', 'purchase') AND counterparty_firm_id IS NOT NULL) OR reverses IS NOT NULL"
q "findings of a firm (GET /custody/findings?firm_id=)" "SELECT * FROM custody_findings WHERE id > '' AND (firm_id = '$FIRM' OR counterparty_firm_id = '$FIRM') ORDER BY id ASC LIMIT 51"
q "open findings (regulators' worklist)" "SELECT * FROM custody_findings WHERE id > '' AND status = 'open' ORDER BY id ASC LIMIT 51"
q "alerts: new dispatches to registered buyers" "SELECT id, firm_id, counterparty_firm_id, recorded_at FROM ledger_entries le WHERE kind = 'sale' AND counterparty_firm_id IS NOT NULL AND recorded_at > now() - interval '1 minute' AND recorded_at <= now() AND NOT EXISTS (SELECT 1 FROM events WHERE kind = 'dispatch.addressed' AND subject = le.id) ORDER BY recorded_at, id LIMIT 1000"
q "firms with entries (verify), before" "SELECT DISTINCT firm_id FROM ledger_entries ORDER BY firm_id"
q "firms with entries (verify), after" "SELECT id FROM firms WHERE EXISTS (SELECT 1 FROM ledger_entries WHERE ledger_entries.firm_id = firms.id) ORDER BY id"
q "a lot's custody trace" "SELECT * FROM ledger_entries WHERE chemical_id = (SELECT chemical_id FROM ledger_entries WHERE firm_id = '$FIRM' AND lot IS NOT NULL LIMIT 1) AND lot = (SELECT lot FROM ledger_entries WHERE firm_id = '$FIRM' AND lot IS NOT NULL LIMIT 1) ORDER BY occurred_at, firm_id, seq"
q "entry by id (a proof, a finding's entries)" "SELECT * FROM ledger_entries WHERE firm_id = '$FIRM' AND id = (SELECT id FROM ledger_entries WHERE firm_id = '$FIRM' LIMIT 1)"
