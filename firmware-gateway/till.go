package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/eldergate/eldergate"
	tilldrv "github.com/eldergate/eldergate/drivers/till"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// Till prices over the local HTTP API (httpapi.TillBackend): a till
// authenticated by its token (checked by httpapi), or a cashier logged in
// as staff, gives the amount of the next till-priced meal to the desk. A
// till on a serial line (till.devices, devices.Tills) gives its amounts
// through deviceAmount, the same path as a till's HTTP amount.

// TillAmount implements httpapi.TillBackend.
func (g *Gateway) TillAmount(ctx context.Context, till string, req httpapi.TillRequest) (any, error) {
	return g.tillAmount(ctx, till, eldergate.Fen(req.AmountFen), req.Ref)
}

// tillAmount gives the desk the amount of till's sale ref.
func (g *Gateway) tillAmount(ctx context.Context, till string, fen eldergate.Fen, ref string) (any, error) {
	return g.amount(ctx, tapdesk.Amount{Fen: fen, Source: eldergate.PriceSourceTill, Till: till, Ref: ref})
}

// deviceAmount takes an amount of a till on a device line. Its error is
// the refusal the till is told (the line protocol's ERR busy or refused):
// the desk's sentence, without the prefixes of the layers it went through.
func (g *Gateway) deviceAmount(ctx context.Context, a tilldrv.Amount) error {
	_, err := g.tillAmount(ctx, a.Till, a.Fen, a.Ref)
	switch {
	case errors.Is(err, tapdesk.ErrAmountWaiting):
		return fmt.Errorf("%w: %s", tilldrv.ErrBusy, deskWords(err, tapdesk.ErrAmountWaiting))
	case errors.Is(err, tapdesk.ErrBadAmount):
		return fmt.Errorf("%w: %s", tilldrv.ErrRefused, deskWords(err, tapdesk.ErrBadAmount))
	}
	return err
}

// deskWords is what err says after the desk's sentinel (the amount, the
// limit, until when an amount waits), or all of it.
func deskWords(err, sentinel error) string {
	msg, prefix := err.Error(), sentinel.Error()+": "
	if i := strings.Index(msg, prefix); i >= 0 {
		return msg[i+len(prefix):]
	}
	return msg
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
