package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// A lean MQTT 3.1.1 client: just what a simulated gateway does (CONNECT
// with a will, SUBSCRIBE, PUBLISH at QoS 1, PUBACK of what it receives,
// PINGREQ, DISCONNECT). A paho client costs about 100 KB and several
// goroutines per connection; this one costs one goroutine (the reader)
// and a 512-byte read buffer, so that 10,000 gateways fit in one process.

// MQTT 3.1.1 control packet types (high nibble of the fixed header).
const (
	pktConnect     = 1
	pktConnack     = 2
	pktPublish     = 3
	pktPuback      = 4
	pktSubscribe   = 8
	pktSuback      = 9
	pktPingreq     = 12
	pktPingresp    = 13
	pktDisconnect  = 14
	maxPacketBytes = 16 << 20 // the largest packet this client accepts
)

// appendRemaining appends MQTT's variable-length "remaining length".
func appendRemaining(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// will is a CONNECT's last will.
type will struct {
	topic   string
	payload []byte
	qos     byte
	retain  bool
}

// encodeConnect builds a CONNECT packet (protocol level 4, clean session).
func encodeConnect(clientID, user, pass string, keepAlive time.Duration, w *will) []byte {
	flags := byte(0x02) // clean session
	body := appendString(nil, "MQTT")
	body = append(body, 4)
	if w != nil {
		flags |= 0x04 | w.qos<<3
		if w.retain {
			flags |= 0x20
		}
	}
	if user != "" {
		flags |= 0x80
	}
	if pass != "" {
		flags |= 0x40
	}
	body = append(body, flags)
	body = binary.BigEndian.AppendUint16(body, uint16(keepAlive/time.Second))
	body = appendString(body, clientID)
	if w != nil {
		body = appendString(body, w.topic)
		body = binary.BigEndian.AppendUint16(body, uint16(len(w.payload)))
		body = append(body, w.payload...)
	}
	if user != "" {
		body = appendString(body, user)
	}
	if pass != "" {
		body = appendString(body, pass)
	}
	out := appendRemaining([]byte{pktConnect << 4}, len(body))
	return append(out, body...)
}

// encodePublish builds a PUBLISH packet; id is used at QoS 1.
func encodePublish(topic string, payload []byte, qos byte, retain bool, id uint16) []byte {
	n := 2 + len(topic) + len(payload)
	if qos > 0 {
		n += 2
	}
	h := byte(pktPublish<<4) | qos<<1
	if retain {
		h |= 1
	}
	out := make([]byte, 0, n+5)
	out = appendRemaining(append(out, h), n)
	out = appendString(out, topic)
	if qos > 0 {
		out = binary.BigEndian.AppendUint16(out, id)
	}
	return append(out, payload...)
}

// encodeSubscribe builds a SUBSCRIBE packet for topics at QoS 1.
func encodeSubscribe(id uint16, topics ...string) []byte {
	body := binary.BigEndian.AppendUint16(nil, id)
	for _, t := range topics {
		body = appendString(body, t)
		body = append(body, 1)
	}
	out := appendRemaining([]byte{pktSubscribe<<4 | 0x02}, len(body))
	return append(out, body...)
}

func encodePuback(id uint16) []byte {
	return []byte{pktPuback << 4, 2, byte(id >> 8), byte(id)}
}

// readPacket reads one control packet: its fixed header's first byte and
// its body (the variable header and payload).
func readPacket(r *bufio.Reader) (byte, []byte, error) {
	h, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mul := 0, 1
	for i := 0; ; i++ {
		if i == 4 {
			return 0, nil, errors.New("mqtt: remaining length longer than 4 bytes")
		}
		d, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(d&0x7f) * mul
		if d&0x80 == 0 {
			break
		}
		mul *= 128
	}
	if n > maxPacketBytes {
		return 0, nil, fmt.Errorf("mqtt: packet of %d bytes is above the limit of %d", n, maxPacketBytes)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return h, body, nil
}

// parsePublish splits the body of a PUBLISH packet whose fixed header is h.
func parsePublish(h byte, body []byte) (topic string, id uint16, payload []byte, err error) {
	if len(body) < 2 {
		return "", 0, nil, errors.New("mqtt: publish shorter than its topic length")
	}
	tl := int(binary.BigEndian.Uint16(body))
	if len(body) < 2+tl {
		return "", 0, nil, errors.New("mqtt: publish topic runs past the packet")
	}
	topic, rest := string(body[2:2+tl]), body[2+tl:]
	qos := (h >> 1) & 3
	if qos == 3 {
		return "", 0, nil, errors.New("mqtt: publish with QoS 3")
	}
	if qos > 0 {
		if len(rest) < 2 {
			return "", 0, nil, errors.New("mqtt: publish without its packet id")
		}
		id, rest = binary.BigEndian.Uint16(rest), rest[2:]
	}
	return topic, id, rest, nil
}

// mqttConn is one connection.
type mqttConn struct {
	nc net.Conn
	r  *bufio.Reader

	mu      sync.Mutex // serialises writes and guards nextID
	nextID  uint16
	lastOut time.Time
}

// connack return codes in words.
var connackCodes = map[byte]string{
	1: "unacceptable protocol version", 2: "identifier rejected", 3: "server unavailable",
	4: "bad user name or password", 5: "not authorised",
}

// dialMQTT connects to addr (TLS when tc is not nil), sends CONNECT and
// waits for the CONNACK.
func dialMQTT(ctx context.Context, addr string, tc *tls.Config, clientID, user, pass string,
	keepAlive time.Duration, w *will) (*mqttConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var nc net.Conn
	var err error
	if tc != nil {
		td := tls.Dialer{NetDialer: &d, Config: tc}
		nc, err = td.DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	c := &mqttConn{nc: nc, r: bufio.NewReaderSize(nc, 512)}
	dl, _ := ctx.Deadline()
	_ = nc.SetDeadline(dl)
	if err := c.write(encodeConnect(clientID, user, pass, keepAlive, w)); err != nil {
		nc.Close()
		return nil, err
	}
	h, body, err := readPacket(c.r)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("mqtt: waiting for CONNACK: %w", err)
	}
	if h>>4 != pktConnack || len(body) != 2 {
		nc.Close()
		return nil, fmt.Errorf("mqtt: expected CONNACK, got packet type %d", h>>4)
	}
	if body[1] != 0 {
		nc.Close()
		msg := connackCodes[body[1]]
		if msg == "" {
			msg = fmt.Sprintf("code %d", body[1])
		}
		return nil, fmt.Errorf("mqtt: connection refused: %s", msg)
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *mqttConn) write(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLocked(p)
}

func (c *mqttConn) writeLocked(p []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := c.nc.Write(p)
	c.lastOut = time.Now()
	return err
}

func (c *mqttConn) id() uint16 {
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	return c.nextID
}

// publish sends a PUBLISH at qos (0 or 1); the PUBACK is not waited for
// (the application ack is what counts).
func (c *mqttConn) publish(topic string, payload []byte, qos byte, retain bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var id uint16
	if qos > 0 {
		id = c.id()
	}
	return c.writeLocked(encodePublish(topic, payload, qos, retain, id))
}

func (c *mqttConn) subscribe(topics ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLocked(encodeSubscribe(c.id(), topics...))
}

// pingIfIdle sends a PINGREQ when nothing was written for idle.
func (c *mqttConn) pingIfIdle(idle time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.lastOut) < idle {
		return nil
	}
	return c.writeLocked([]byte{pktPingreq << 4, 0})
}

// disconnect sends DISCONNECT (the broker then drops the will) and closes.
func (c *mqttConn) disconnect() {
	_ = c.write([]byte{pktDisconnect << 4, 0})
	_ = c.nc.Close()
}

// close drops the connection without DISCONNECT: the broker publishes the will.
func (c *mqttConn) close() { _ = c.nc.Close() }
