-- Policies (issue 13, ADR 0026): what can price a meal at each gateway,
-- as its last birth reported it (eldergate.State.PriceDevices: none,
-- scale, till or scale,till; '' when the gateway never said). A policy
-- whose windows need a till or a scale is refused for a site whose
-- gateways lack it.
ALTER TABLE gateway_reported ADD COLUMN price_devices text NOT NULL DEFAULT '';
