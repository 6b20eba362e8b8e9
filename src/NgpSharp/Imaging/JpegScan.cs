namespace NgpSharp.Imaging;

/// <summary>Which coefficients a scan codes and how (T.81 Annex F for sequential, G for progressive).</summary>
internal enum JpegScanKind { Sequential, DcFirst, DcRefine, AcFirst, AcRefine }

/// <summary>
/// Decodes the entropy-coded data of one scan into the components' coefficient buffers. Every loop is bounded
/// by the block count, and the bit reader's overrun is checked after each MCU, so corrupt or truncated data
/// ends in an <see cref="ImageFormatException"/>, never a hang.
/// </summary>
internal sealed partial class JpegScanDecoder(JpegBitReader reader, string source)
{
    // Natural-order index of the k-th zigzag coefficient; 16 extra entries absorb runs past 63 in corrupt data.
    internal static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    JpegScanKind kind;
    int ss, se, al;
    int eobRun;

    /// <summary>
    /// Decodes one scan starting at byte <paramref name="start"/>; returns the position of the marker after it.
    /// components: the scan's components, in frame order, with their tables and buffers set up.
    /// </summary>
    public int Decode(JpegFrame frame, JpegComponent[] components, JpegScanKind scanKind, int spectralStart,
        int spectralEnd, int approxLow, int restartInterval, int start, int scanIndex)
    {
        kind = scanKind;
        ss = spectralStart;
        se = spectralEnd;
        al = approxLow;
        eobRun = 0;
        foreach (var c in components) c.DcPred = 0;
        reader.Start(start);

        bool single = components.Length == 1;
        int mcusWide = single ? components[0].BlocksWide : frame.McusWide;
        int mcusHigh = single ? components[0].BlocksHigh : frame.McusHigh;
        long mcuCount = (long)mcusWide * mcusHigh;
        int restartIndex = 0;
        for (long mcu = 0; mcu < mcuCount; mcu++)
        {
            if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
            {
                reader.Restart(restartIndex);
                restartIndex = (restartIndex + 1) & 7;
                eobRun = 0;
                foreach (var c in components) c.DcPred = 0;
            }
            int mx = (int)(mcu % mcusWide), my = (int)(mcu / mcusWide);
            if (single)
            {
                var c = components[0];
                DecodeBlock(c, c.Coefs.AsSpan(((my * c.Stride) + mx) * 64, 64));
            }
            else
            {
                foreach (var c in components)
                    for (int v = 0; v < c.V; v++)
                        for (int h = 0; h < c.H; h++)
                            DecodeBlock(c, c.Coefs.AsSpan((((my * c.V + v) * c.Stride) + mx * c.H + h) * 64, 64));
            }
            if (reader.Overran)
                throw new ImageFormatException(
                    $"{source}: truncated or corrupt JPEG: scan {scanIndex} ran out of data at MCU {mcu} of {mcuCount}");
        }
        return reader.FindMarker();
    }

    void DecodeBlock(JpegComponent c, Span<short> block)
    {
        switch (kind)
        {
            case JpegScanKind.Sequential: DecodeSequential(c, block); break;
            case JpegScanKind.DcFirst: DecodeDcFirst(c, block); break;
            case JpegScanKind.DcRefine: if (reader.Bit() != 0) block[0] |= (short)(1 << al); break;
            case JpegScanKind.AcFirst: DecodeAcFirst(c, block); break;
            default: DecodeAcRefine(c, block); break;
        }
    }

    /// <summary>A baseline/extended sequential block: DC difference then run-length coded AC (T.81 F.2.2).</summary>
    void DecodeSequential(JpegComponent c, Span<short> block)
    {
        c.DcPred += reader.ReceiveExtend(reader.Decode(c.DcTable!));
        block[0] = (short)c.DcPred;
        var ac = c.AcTable!;
        for (int k = 1; k < 64; k++)
        {
            int rs = reader.Decode(ac);
            int r = rs >> 4, s = rs & 15;
            if (s != 0)
            {
                k += r;
                block[ZigZag[k]] = (short)reader.ReceiveExtend(s);
            }
            else if (r == 15) k += 15;
            else break;
        }
    }
}
