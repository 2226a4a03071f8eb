// Package hx711 reads a load cell through an HX711 24-bit ADC on two GPIO
// lines (DOUT and PD_SCK), bit-banged through periph's gpio.PinIn and
// gpio.PinOut.
//
// References: AVIA Semiconductor HX711 datasheet ("Serial Interface",
// "Power down control", Table 3 "Input channel and gain selection"):
// DOUT goes low when a conversion is ready; 24 PD_SCK pulses shift the
// two's complement result out MSB first; 1, 2 or 3 more pulses select
// channel A gain 128, channel B gain 32 or channel A gain 64 for the
// next conversion; PD_SCK high for more than 60 µs powers the chip down.
// periph.io/x/devices/v3/hx711 implements the same protocol; its issue
// reports garbage values (0xFFFFFF = -1, saturated 0x7FFFFF/0x800000,
// wild spikes) when the clock timing is disturbed, which this package
// rejects.
//
// Reading (Reader): the driver waits for DOUT low (edge detection when
// the pin supports it, polling otherwise; a stale edge is checked against
// the level), clocks the bits out, and times every clock pulse with the
// injected clock: a pulse longer than 60 µs (the thread was preempted)
// discards the reading and the next one (after a power-down the chip
// converts at gain 128 whatever was selected).
//
// Filtering (Filter, pure, fed with raw values): rejects values outside
// 24 bits and all ones (-1); takes a lone saturation value for garbage
// and reports scale.Overload/scale.Underload only after SaturationCount
// saturated readings in a row (direction by the sign of the calibration
// factor); holds back a reading that jumps more than MaxJumpGrams from
// the median until the next reading confirms it; takes the median over
// Window readings; converts (median - Offset) / CountsPerGram to integer
// grams (math.Round: halves away from zero); calls the weight stable
// when the last StableWindow medians are within ±StableGrams and the
// newest reading agrees. Tare averages TareSamples good readings into
// the offset.
//
// Status: connected after a good reading; disconnected with an error
// when no conversion comes within ReadyTimeout (chip missing or
// unpowered: DOUT stays high with the pull-up) or after MaxRejects
// rejected readings in a row.
package hx711
