package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// Till prices over the local HTTP API (httpapi.TillBackend): a till
// authenticated by its token (checked by httpapi), or a cashier logged in
// as staff, gives the amount of the next till-priced meal to the desk.

// TillAmount implements httpapi.TillBackend.
func (g *Gateway) TillAmount(ctx context.Context, till string, req httpapi.TillRequest) (any, error) {
	return g.amount(ctx, tapdesk.Amount{Fen: eldergate.Fen(req.AmountFen), Source: eldergate.PriceSourceTill, Till: till, Ref: req.Ref})
}

// CashierAmount implements httpapi.TillBackend.
func (g *Gateway) CashierAmount(ctx context.Context, tok string, amountFen int64) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	return g.amount(ctx, tapdesk.Amount{Fen: eldergate.Fen(amountFen), Source: eldergate.PriceSourceCashier, Cashier: st.ID})
}

func (g *Gateway) amount(ctx context.Context, a tapdesk.Amount) (any, error) {
	res, err := g.desk.Amount(ctx, a)
	switch {
	case errors.Is(err, tapdesk.ErrBadAmount):
		return nil, fmt.Errorf("gateway: %w: %w", httpapi.ErrInvalid, err)
	case errors.Is(err, tapdesk.ErrAmountWaiting):
		return nil, fmt.Errorf("gateway: %w: %w", httpapi.ErrConflict, err)
	case err != nil:
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return res, nil
}

// CancelAmount implements httpapi.TillBackend.
func (g *Gateway) CancelAmount(ctx context.Context, tok string) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	canceled := g.desk.CancelAmount()
	if canceled {
		g.log.Info("gateway: till amount canceled by staff", "staff", st.ID)
	}
	return map[string]bool{"canceled": canceled}, nil
}

// TillState implements httpapi.TillBackend.
func (g *Gateway) TillState(ctx context.Context, tok string) (any, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return nil, err
	}
	return g.desk.Till(), nil
}
