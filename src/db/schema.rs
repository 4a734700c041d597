// Hand-kept, in types both backends share: ids as TEXT, UTC times as TIMESTAMP,
// quantities as BIGINT thousandths, enums as TEXT. Must match migrations/{sqlite,postgres}.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        firm_id -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
        token_generation -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        username -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    firms (id) {
        id -> Text,
        name -> Text,
        credit_code -> Text,
        region_code -> Text,
        address -> Text,
        activities -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    firm_status_changes (id) {
        id -> Text,
        firm_id -> Text,
        status -> Text,
        reason -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    chemicals (id) {
        id -> Text,
        cas -> Nullable<Text>,
        name_en -> Text,
        name_zh -> Text,
        category -> Integer,
        pharmaceutical -> Bool,
        unit -> Text,
        note -> Nullable<Text>,
        controlled_from -> Nullable<Timestamp>,
    }
}

diesel::table! {
    chemical_changes (id) {
        id -> Text,
        chemical_id -> Text,
        effective_from -> Timestamp,
        category -> Nullable<Integer>,
        delisted -> Bool,
        note -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    permits (id) {
        id -> Text,
        firm_id -> Text,
        kind -> Text,
        number -> Text,
        quantity_limit -> Nullable<BigInt>,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    permit_chemicals (permit_id, chemical_id) {
        permit_id -> Text,
        chemical_id -> Text,
    }
}

diesel::joinable!(users -> firms (firm_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(firm_status_changes -> firms (firm_id));
diesel::joinable!(permits -> firms (firm_id));
diesel::joinable!(permit_chemicals -> permits (permit_id));
diesel::joinable!(permit_chemicals -> chemicals (chemical_id));
diesel::joinable!(chemical_changes -> chemicals (chemical_id));

diesel::table! {
    ledger_entries (firm_id, seq) {
        firm_id -> Text,
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        chemical_id -> Text,
        lot -> Nullable<Text>,
        quantity -> BigInt,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
        recorded_by -> Text,
        counterparty_firm_id -> Nullable<Text>,
        counterparty_name -> Nullable<Text>,
        counterparty_credit_code -> Nullable<Text>,
        counterparty_permit_no -> Nullable<Text>,
        shipment_ref -> Nullable<Text>,
        permit_no -> Nullable<Text>,
        transport_permit_no -> Nullable<Text>,
        warehouse -> Nullable<Text>,
        note -> Nullable<Text>,
        reverses -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        counterparty_resident_id -> Nullable<Text>,
        payment -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (firm_id, idempotency_key) {
        firm_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    custody_runs (id) {
        id -> Text,
        firm_id -> Nullable<Text>,
        as_of -> Timestamp,
        run_by -> Text,
        started_at -> Timestamp,
        duration_ms -> BigInt,
        entries_checked -> BigInt,
        findings_by_code -> Text,
        new_findings -> BigInt,
        resolved_findings -> BigInt,
        rule_pack -> Nullable<Text>,
    }
}

diesel::table! {
    custody_findings (id) {
        id -> Text,
        identity -> Text,
        code -> Text,
        severity -> Text,
        status -> Text,
        firm_id -> Text,
        counterparty_firm_id -> Nullable<Text>,
        chemical_id -> Nullable<Text>,
        lot -> Nullable<Text>,
        quantity -> Nullable<BigInt>,
        entry_ids -> Text,
        counterparty_entry_ids -> Text,
        message_zh -> Text,
        message_en -> Text,
        first_seen_at -> Timestamp,
        first_seen_run -> Text,
        last_seen_run -> Text,
        resolved_by_run -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    custody_finding_notes (id) {
        id -> Text,
        finding_id -> Text,
        action -> Text,
        text -> Nullable<Text>,
        by_user -> Nullable<Text>,
        run_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    audits (id) {
        id -> Text,
        firm_id -> Text,
        kind -> Text,
        status -> Text,
        started_at -> Timestamp,
        opened_by -> Text,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        conclusion -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_findings (id) {
        id -> Text,
        audit_id -> Text,
        firm_id -> Text,
        severity -> Text,
        description -> Text,
        entry_ids -> Text,
        corrective_action -> Nullable<Text>,
        deadline -> Nullable<Timestamp>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    grades (id) {
        id -> Text,
        firm_id -> Text,
        period -> Text,
        score -> Integer,
        computed_grade -> Text,
        grade -> Text,
        overridden -> Bool,
        reason -> Nullable<Text>,
        rules_version -> Text,
        breakdown -> Text,
        confirmed_by -> Text,
        confirmed_at -> Timestamp,
        rule_pack -> Nullable<Text>,
    }
}

diesel::table! {
    activity_log (id) {
        id -> Text,
        at -> Timestamp,
        user_id -> Nullable<Text>,
        role -> Nullable<Text>,
        action -> Text,
        target -> Text,
        status -> Integer,
    }
}

diesel::table! {
    custody_watermarks (firm_id) {
        firm_id -> Text,
        last_seq -> BigInt,
        inputs_digest -> Text,
        recheck_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    custody_incremental (id) {
        id -> Text,
        last_run_id -> Text,
        checked_at -> Timestamp,
        fingerprint -> Text,
    }
}

diesel::table! {
    shipment_refusals (id) {
        id -> Text,
        dispatch_entry_id -> Text,
        seller_firm_id -> Text,
        buyer_firm_id -> Text,
        reason -> Text,
        refused_by -> Text,
        refused_at -> Timestamp,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(console_sessions -> users (user_id));

diesel::table! {
    grade_publications (id) {
        id -> Text,
        period -> Text,
        published_by -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        kind -> Text,
        firm_id -> Text,
        counterparty_firm_id -> Nullable<Text>,
        region_code -> Text,
        subject -> Text,
        payload -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    event_cursors (name) {
        name -> Text,
        since -> Timestamp,
        value -> Timestamp,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        user_id -> Text,
        url -> Text,
        kinds -> Text,
        firm_id -> Nullable<Text>,
        region_code -> Nullable<Text>,
        secret -> Text,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        status -> Text,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> subscriptions (subscription_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::joinable!(subscriptions -> users (user_id));

diesel::table! {
    customer_declarations (id) {
        id -> Text,
        firm_id -> Text,
        customer_firm_id -> Nullable<Text>,
        customer_name -> Nullable<Text>,
        customer_credit_code -> Nullable<Text>,
        chemical_id -> Text,
        intended_use -> Text,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        document_ref -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(customer_declarations -> chemicals (chemical_id));

diesel::table! {
    merkle_head (id) {
        id -> Integer,
        tree_size -> BigInt,
    }
}

diesel::table! {
    merkle_leaves (leaf_index) {
        leaf_index -> BigInt,
        entry_id -> Text,
        hash -> Text,
    }
}

diesel::table! {
    merkle_nodes (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    checkpoints (tree_size) {
        tree_size -> BigInt,
        root_hash -> Text,
        signed_at -> Timestamp,
        note -> Text,
    }
}

diesel::table! {
    gs1_identifiers (id) {
        id -> Text,
        firm_id -> Text,
        kind -> Text,
        gs1_key -> Text,
        chemical_id -> Nullable<Text>,
        warehouse -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    epcis_events (firm_id, event_id, declared_error, element) {
        firm_id -> Text,
        event_id -> Text,
        declared_error -> Bool,
        element -> Integer,
        entry_id -> Text,
    }
}

diesel::table! {
    continuous_validation (id) {
        id -> Integer,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_run_at -> Nullable<Timestamp>,
        last_run_id -> Nullable<Text>,
        seen -> Nullable<Text>,
    }
}

diesel::table! {
    console_run_tickets (id) {
        id -> Text,
        owner_id -> Text,
        started_at -> Timestamp,
        run_id -> Nullable<Text>,
        failure -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    audits,
    audit_findings,
    grades,
    activity_log,
    custody_runs,
    custody_findings,
    custody_finding_notes,
    custody_watermarks,
    custody_incremental,
    ledger_entries,
    idempotency_keys,
    users,
    refresh_tokens,
    login_failures,
    firms,
    firm_status_changes,
    chemicals,
    chemical_changes,
    permits,
    permit_chemicals,
    shipment_refusals,
    console_sessions,
    grade_publications,
    events,
    event_cursors,
    subscriptions,
    webhook_deliveries,
    customer_declarations,
    merkle_head,
    merkle_leaves,
    merkle_nodes,
    checkpoints,
    gs1_identifiers,
    epcis_events,
    continuous_validation,
    console_run_tickets,
);
