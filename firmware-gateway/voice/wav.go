package voice

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// WAV is a parsed RIFF/WAVE file of linear PCM.
type WAV struct {
	Channels   int
	SampleRate int
	Bits       int    // bits per sample: 8, 16, 24 or 32
	Data       []byte // the data chunk (clipped to the file, see ParseWAV)
}

// Duration is the length of the audio.
func (w WAV) Duration() time.Duration {
	frame := w.Channels * w.Bits / 8
	if frame == 0 || w.SampleRate == 0 {
		return 0
	}
	return time.Duration(len(w.Data)/frame) * time.Second / time.Duration(w.SampleRate)
}

// RMS is the root mean square of the samples, full scale being 1. It is
// computed for 16-bit PCM only (what espeak-ng writes) and is 0 otherwise.
func (w WAV) RMS() float64 {
	if w.Bits != 16 || len(w.Data) < 2 {
		return 0
	}
	var sum float64
	n := len(w.Data) / 2
	for i := range n {
		v := float64(int16(binary.LittleEndian.Uint16(w.Data[2*i:]))) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(n))
}

// ParseWAV reads a RIFF/WAVE file of PCM (format 1, or WAVE_FORMAT_EXTENSIBLE
// with the PCM subformat). Unknown chunks are skipped. A data chunk whose
// stated size runs past the end of the file (espeak-ng writing to a pipe
// leaves a placeholder size) is clipped to what the file holds.
func ParseWAV(b []byte) (WAV, error) {
	var w WAV
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errors.New("voice: wav: not a RIFF/WAVE file")
	}
	haveFmt := false
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int64(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if size < 16 || int64(len(body)) < size {
				return w, errors.New("voice: wav: short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:])
			if format == 0xFFFE && size >= 40 {
				format = binary.LittleEndian.Uint16(body[24:]) // subformat GUID starts with the format code
			}
			if format != 1 {
				return w, fmt.Errorf("voice: wav: format %d is not PCM", format)
			}
			w.Channels = int(binary.LittleEndian.Uint16(body[2:]))
			w.SampleRate = int(binary.LittleEndian.Uint32(body[4:]))
			w.Bits = int(binary.LittleEndian.Uint16(body[14:]))
			if w.Channels < 1 || w.Channels > 8 || w.SampleRate < 1 || w.SampleRate > 384000 {
				return w, fmt.Errorf("voice: wav: %d channels at %d Hz", w.Channels, w.SampleRate)
			}
			if w.Bits != 8 && w.Bits != 16 && w.Bits != 24 && w.Bits != 32 {
				return w, fmt.Errorf("voice: wav: %d bits per sample", w.Bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return w, errors.New("voice: wav: data chunk before fmt chunk")
			}
			if size > int64(len(body)) {
				size = int64(len(body))
			}
			w.Data = body[:size]
			return w, nil
		}
		next := int64(p) + 8 + size + size%2 // chunks are padded to even sizes
		if next > int64(len(b)) {
			break
		}
		p = int(next)
	}
	if !haveFmt {
		return w, errors.New("voice: wav: no fmt chunk")
	}
	return w, errors.New("voice: wav: no data chunk")
}
