package registry

// cardGPIOEntries lists the GPIO/SPI card readers: wiegand, mfrc522.
func cardGPIOEntries() []Entry {
	return nil
}
