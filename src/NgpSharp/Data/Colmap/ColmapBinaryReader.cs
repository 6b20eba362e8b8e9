using System.Buffers.Binary;
using System.Text;

namespace NgpSharp.Data.Colmap;

/// <summary>
/// Reads COLMAP's binary model files (little-endian; layout of read_write_model.py):
/// cameras.bin: u64 count, then per camera i32 id, i32 model_id, u64 width, u64 height, f64 params[num_params(model)].
/// images.bin: u64 count, then per image i32 id, f64 qw qx qy qz, f64 tx ty tz, i32 camera_id, name bytes + NUL,
/// u64 num_points2D, then per keypoint f64 x, f64 y, i64 point3D_id.
/// points3D.bin: u64 count, then per point u64 id, f64 x y z, u8 r g b, f64 error, u64 track_length, then per element i32 image_id, i32 point2D_idx.
/// Counts are checked against the bytes that remain before anything is allocated, and bytes after the last record are an error.
/// </summary>
public static class ColmapBinaryReader
{
    public static List<ColmapCamera> ReadCameras(string path)
    {
        var r = new Cursor(path);
        int count = r.Count("cameras", minRecordBytes: 24 + 8 * 3);
        var cameras = new List<ColmapCamera>(count);
        for (int i = 0; i < count; i++)
        {
            r.Record = $"camera record {i + 1} of {count}";
            int id = r.I32();
            int modelId = r.I32();
            if (!ColmapCameraModels.TryFromId(modelId, out var model))
                throw new ColmapFormatException($"{r.Where}: camera {id} has unknown camera model id {modelId} (known: 0 … 10: {ColmapCameraModels.KnownNames})");
            long width = r.I64(), height = r.I64();
            var p = new double[ColmapCameraModels.ParamCount(model)];
            for (int k = 0; k < p.Length; k++) p[k] = r.F64();
            cameras.Add(ColmapModel.CheckCamera(r.Where, id, model, width, height, p));
        }
        r.End();
        return cameras;
    }

    public static List<ColmapImage> ReadImages(string path)
    {
        var r = new Cursor(path);
        int count = r.Count("images", minRecordBytes: 64 + 1 + 8);
        var images = new List<ColmapImage>(count);
        for (int i = 0; i < count; i++)
        {
            r.Record = $"image record {i + 1} of {count}";
            int id = r.I32();
            double[] q = [r.F64(), r.F64(), r.F64(), r.F64()];
            double[] t = [r.F64(), r.F64(), r.F64()];
            int cameraId = r.I32();
            string name = r.CString();
            int n = r.Count($"keypoints of image {id}", minRecordBytes: 24);
            var xy = new double[2 * n];
            var ids = new long[n];
            for (int k = 0; k < n; k++) { xy[2 * k] = r.F64(); xy[2 * k + 1] = r.F64(); ids[k] = r.I64(); }
            images.Add(ColmapModel.CheckImage(r.Where, id, q, t, cameraId, name, xy, ids));
        }
        r.End();
        return images;
    }

    public static List<ColmapPoint3D> ReadPoints3D(string path)
    {
        var r = new Cursor(path);
        int count = r.Count("points", minRecordBytes: 43 + 8);
        var points = new List<ColmapPoint3D>(count);
        for (int i = 0; i < count; i++)
        {
            r.Record = $"point record {i + 1} of {count}";
            long id = r.I64();
            double x = r.F64(), y = r.F64(), z = r.F64();
            byte cr = r.U8(), cg = r.U8(), cb = r.U8();
            double error = r.F64();
            ColmapModel.CheckPoint(r.Where, id, x, y, z, error);
            int n = r.Count($"track of point {id}", minRecordBytes: 8);
            var imageIds = new int[n];
            var pointIdx = new int[n];
            for (int k = 0; k < n; k++) { imageIds[k] = r.I32(); pointIdx[k] = r.I32(); }
            points.Add(new ColmapPoint3D(id, x, y, z, cr, cg, cb, error, imageIds, pointIdx));
        }
        r.End();
        return points;
    }

    /// <summary>A read position in a whole-file buffer; every read checks the bytes are there and names the record if not.</summary>
    sealed class Cursor
    {
        readonly byte[] _data;
        readonly string _path;
        int _at;

        public Cursor(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"COLMAP file not found: {path}", path);
            _path = path;
            _data = File.ReadAllBytes(path);
        }

        public string Record { get; set; } = "header";

        public string Where => $"{_path} ({Record})";

        ReadOnlySpan<byte> Take(int n, string what)
        {
            if (_data.Length - _at < n)
                throw new ColmapFormatException($"{Where}: file ends at byte {_data.Length} while reading {what} at byte {_at} (truncated?)");
            var s = _data.AsSpan(_at, n);
            _at += n;
            return s;
        }

        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4, "a 32-bit integer"));
        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "a 64-bit integer"));
        public double F64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "a double"));
        public byte U8() => Take(1, "a byte")[0];

        /// <summary>A u64 count whose records (at least <paramref name="minRecordBytes"/> each) must fit in what is left.</summary>
        public int Count(string what, int minRecordBytes)
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, $"the number of {what}"));
            long left = _data.Length - _at;
            if (n > (ulong)(left / minRecordBytes))
                throw new ColmapFormatException($"{Where}: says {n} {what}, but only {left} bytes follow (each needs at least {minRecordBytes}); wrong count or truncated file");
            return (int)n;
        }

        /// <summary>A NUL-terminated UTF-8 string (COLMAP writes image names this way).</summary>
        public string CString()
        {
            int end = Array.IndexOf(_data, (byte)0, _at);
            if (end < 0) throw new ColmapFormatException($"{Where}: file ends at byte {_data.Length} inside an image name that starts at byte {_at} (truncated?)");
            var s = Encoding.UTF8.GetString(_data, _at, end - _at);
            _at = end + 1;
            return s;
        }

        public void End()
        {
            Record = "end";
            if (_at != _data.Length)
                throw new ColmapFormatException($"{_path}: {_data.Length - _at} bytes after the last record (byte {_at} of {_data.Length}); wrong count or a different format");
        }
    }
}
