package materials

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Sample files, built by Go: real headers (what the sniffers read), padded to the size a test needs.

func mustImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := 0; x < 8; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 30), uint8(y * 30), 200, 255})
		}
	}
	return img
}

func pngBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, mustImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, mustImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, mustImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bmpBytes is a 1×1 24-bit BMP.
func bmpBytes(testing.TB) []byte {
	var b bytes.Buffer
	b.WriteString("BM")
	_ = binary.Write(&b, binary.LittleEndian, uint32(58))       // file size
	_ = binary.Write(&b, binary.LittleEndian, uint32(0))        // reserved
	_ = binary.Write(&b, binary.LittleEndian, uint32(54))       // pixel offset
	_ = binary.Write(&b, binary.LittleEndian, uint32(40))       // BITMAPINFOHEADER
	_ = binary.Write(&b, binary.LittleEndian, [2]int32{1, 1})   // width, height
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 24}) // planes, bits
	_ = binary.Write(&b, binary.LittleEndian, [6]uint32{0, 4, 2835, 2835, 0, 0})
	b.Write([]byte{0, 0, 255, 0})
	return b.Bytes()
}

// mp3Bytes is an ID3v2.3 tag followed by MPEG-1 layer III frame headers.
func mp3Bytes(testing.TB) []byte {
	b := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x0a"), make([]byte, 10)...)
	frame := append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 413)...)
	for i := 0; i < 4; i++ {
		b = append(b, frame...)
	}
	return b
}

// wavBytes is a RIFF/WAVE header with a little PCM data.
func wavBytes(testing.TB) []byte {
	var b bytes.Buffer
	data := make([]byte, 800)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, uint32(16))
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 1})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint32{8000, 16000})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{2, 16})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// amrBytes is the AMR-NB magic with a few frames.
func amrBytes(testing.TB) []byte {
	b := []byte("#!AMR\n")
	for i := 0; i < 10; i++ {
		b = append(b, 0x3C)
		b = append(b, make([]byte, 31)...)
	}
	return b
}

// asfBytes is an ASF header object holding one stream properties object of the given stream type.
func asfBytes(stream []byte) []byte {
	header := []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
	streamProps := []byte{0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
	var obj bytes.Buffer
	obj.Write(streamProps)
	_ = binary.Write(&obj, binary.LittleEndian, uint64(24+16+16+8+4+4+2+4))
	obj.Write(stream)
	obj.Write(make([]byte, 16+8+4+4+2+4))
	var b bytes.Buffer
	b.Write(header)
	_ = binary.Write(&b, binary.LittleEndian, uint64(30+obj.Len()))
	_ = binary.Write(&b, binary.LittleEndian, uint32(1))
	b.Write([]byte{1, 2})
	b.Write(obj.Bytes())
	b.Write(make([]byte, 200))
	return b.Bytes()
}

func wmaBytes(testing.TB) []byte { return asfBytes(asfAudioMedia) }
func wmvBytes(testing.TB) []byte { return asfBytes(asfVideoMedia) }

// mp4Bytes is an ISO base media file: an ftyp box of brand isom, then an mdat box.
func mp4Bytes(testing.TB) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(32))
	b.WriteString("ftypisom")
	_ = binary.Write(&b, binary.BigEndian, uint32(512))
	b.WriteString("isomiso2avc1mp41")
	_ = binary.Write(&b, binary.BigEndian, uint32(8+1000))
	b.WriteString("mdat")
	b.Write(make([]byte, 1000))
	return b.Bytes()
}

// padTo grows a sample to exactly n bytes with a deterministic pattern; the header stays as it was.
func padTo(b []byte, n int) []byte {
	if len(b) > n {
		panic("sample larger than the requested size")
	}
	out := make([]byte, n)
	copy(out, b)
	for i := len(b); i < n; i++ {
		out[i] = byte(i * 7)
	}
	return out
}

const htmlSample = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

const svgSample = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`
