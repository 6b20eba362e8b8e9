namespace NgpSharp.Imaging;

/// <summary>Progressive block decoding (T.81 Annex G.1.2): spectral selection and successive approximation.</summary>
internal sealed partial class JpegScanDecoder
{
    void DecodeDcFirst(JpegComponent c, Span<short> block)
    {
        c.DcPred += reader.ReceiveExtend(reader.Decode(c.DcTable!));
        block[0] = (short)(c.DcPred << al);
    }

    void DecodeAcFirst(JpegComponent c, Span<short> block)
    {
        if (eobRun > 0) { eobRun--; return; }
        var ac = c.AcTable!;
        for (int k = ss; k <= se; k++)
        {
            int rs = reader.Decode(ac);
            int r = rs >> 4, s = rs & 15;
            if (s != 0)
            {
                k += r;
                block[ZigZag[k]] = (short)(reader.ReceiveExtend(s) * (1 << al));
            }
            else if (r == 15) k += 15;
            else
            {
                eobRun = (1 << r) - 1; // this block ends the run's first band
                if (r > 0) eobRun += reader.Bits(r);
                break;
            }
        }
    }

    /// <summary>
    /// Refinement: one correction bit for each already-nonzero coefficient passed over, and newly nonzero
    /// coefficients (±1 at this bit position) placed after skipping r still-zero ones.
    /// </summary>
    void DecodeAcRefine(JpegComponent c, Span<short> block)
    {
        int p1 = 1 << al, m1 = -1 << al;
        int k = ss;
        if (eobRun == 0)
        {
            var ac = c.AcTable!;
            for (; k <= se; k++)
            {
                int rs = reader.Decode(ac);
                int r = rs >> 4, s = rs & 15, value = 0;
                if (s != 0)
                    value = reader.Bit() != 0 ? p1 : m1; // s must be 1; other sizes are treated as 1 like libjpeg
                else if (r != 15)
                {
                    eobRun = 1 << r;
                    if (r > 0) eobRun += reader.Bits(r);
                    break; // the rest of this block is refined below as part of the run
                }
                for (; k <= se; k++)
                {
                    int z = ZigZag[k];
                    if (block[z] != 0) RefineNonZero(ref block[z], p1, m1);
                    else if (--r < 0) break; // reached the zero coefficient that becomes nonzero
                }
                if (value != 0 && k <= se) block[ZigZag[k]] = (short)value;
            }
        }
        if (eobRun > 0)
        {
            for (; k <= se; k++)
            {
                int z = ZigZag[k];
                if (block[z] != 0) RefineNonZero(ref block[z], p1, m1);
            }
            eobRun--;
        }
    }

    void RefineNonZero(ref short coef, int p1, int m1)
    {
        if (reader.Bit() != 0 && (coef & p1) == 0)
            coef = (short)(coef >= 0 ? coef + p1 : coef + m1);
    }
}
