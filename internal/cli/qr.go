package cli

import (
	"fmt"
	"io"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// qrQuietZone is the light margin around the code, in modules. The QR specification asks for
// four; two is what scanners need in practice and keeps the code small on a terminal.
const qrQuietZone = 2

// qrWidth is the number of terminal columns the QR code of text needs, or an error when text
// cannot be encoded.
func qrWidth(text string) (int, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return 0, err
	}
	// qrterminal draws Size+1 modules per row, the quiet zone on the left and one module
	// less of it on the right (the extra module is light).
	return code.Size + 2*qrQuietZone, nil
}

// renderQR draws text as a QR code with half blocks, two modules per character row.
//
// With colour, every cell is painted explicitly (bright white on black), so the code keeps
// its light background and dark modules on both light and dark terminal themes. Without colour
// (NO_COLOR), the glyphs use the terminal's own foreground as the light colour, which suits
// the usual light-on-dark terminal.
func renderQR(w io.Writer, text string, colour bool) error {
	if _, err := qrWidth(text); err != nil {
		return fmt.Errorf("cannot draw a QR code: %w", err)
	}
	cfg := qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		QuietZone:      qrQuietZone,
	}
	if colour {
		paint := func(s string) string { return "\x1b[97;40m" + s + "\x1b[0m" }
		cfg.BlackChar = paint(cfg.BlackChar)
		cfg.WhiteChar = paint(cfg.WhiteChar)
		cfg.BlackWhiteChar = paint(cfg.BlackWhiteChar)
		cfg.WhiteBlackChar = paint(cfg.WhiteBlackChar)
	}
	qrterminal.GenerateWithConfig(text, cfg)
	return nil
}
