-- name: code_orders
-- Every order carrying a creator's promo code, and whether it came through that creator's link: its click
-- id (or an earlier click of the same visitor) is on the creator's link, or its ref is the link's slug.
SELECT cc.id AS creator_id, cc.handle, cc.promo_code, cv.occurred_at,
       (cv.ref = cc.slug OR EXISTS (
            SELECT 1 FROM clicks k JOIN clicks v ON v.org_id = k.org_id AND v.visitor = k.visitor
            WHERE k.click_id = cv.click_id AND k.org_id = cc.org_id AND v.creator_id = cc.id
              AND v.at <= cv.occurred_at)) AS via_link
FROM campaign_creators cc
JOIN conversions cv ON cv.org_id = cc.org_id
     AND lower(cc.promo_code) IN (SELECT lower(x) FROM unnest(cv.promo_codes) AS x)
WHERE cc.org_id = $1 AND cc.campaign_id = $2
ORDER BY cc.id, cv.occurred_at;
