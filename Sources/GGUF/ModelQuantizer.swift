import Dispatch

/// Quantizes an F32/F16/BF16 GGUF model into a new file with the same bytes llama-quantize writes (default options,
/// no importance matrix): its metadata plus `general.quantization_version` and `general.file_type` moved to the end,
/// tensors in llama.cpp's order with the types `QuantizationPlan` picks, 32-byte aligned.
///
/// The input is memory-mapped and each tensor is converted in slabs of rows while the output is written, so memory
/// stays small whatever the model size; rows are spread over threads, which never changes the bytes.
public struct ModelQuantizer {
    /// One tensor's step, as reported while the file is written.
    public struct TensorStep: Sendable {
        /// Position in the output, from 1.
        public let index: Int
        /// Number of tensors.
        public let count: Int
        /// The tensor's name.
        public let name: String
        /// Its shape, innermost first.
        public let shape: [Int]
        /// The input type.
        public let from: GGMLType
        /// The output type.
        public let to: GGMLType
        /// Bytes in the input.
        public let inputBytes: Int
        /// Bytes in the output.
        public let outputBytes: Int
    }

    /// The input model.
    public let input: GGUFFile
    /// The file type being made.
    public let fileType: QuantizationFileType
    /// Input tensors in output order with their output types.
    public let steps: [(info: GGUFTensorInfo, type: GGMLType)]

    /// Opens `path` and plans the output; throws if it is not a readable GGUF model of F32, F16 and BF16 tensors.
    public init(inputPath path: String, fileType: QuantizationFileType) throws(GGUFError) {
        let file = try GGUFFile(path: path)
        for tensor in file.tensors where ![.f32, .f16, .bf16].contains(tensor.type) {
            throw GGUFError(
                .badTensorInfo, path: path,
                "tensor '\(tensor.name)' is already quantized (\(tensor.type)); quantize from an F32, F16 or BF16 "
                    + "model")
        }
        guard let model = QuantizationPlan.Model(metadata: file.metadata) else {
            throw GGUFError(
                .missingMetadata, path: path, "general.architecture or its block_count is missing: not a model file")
        }
        let plan = QuantizationPlan(fileType: fileType, model: model)
        let types = plan.targetTypes(
            file.tensors.map { QuantizationPlan.Tensor(name: $0.name, shape: $0.shape, type: $0.type) })
        self.input = file
        self.fileType = fileType
        self.steps = QuantizationPlan.fileOrder(file.tensors.map(\.name)).map { (file.tensors[$0], types[$0]) }
    }

    /// The output metadata: the input's, less split keys and the two llama-quantize sets, then
    /// `general.quantization_version` 2 and `general.file_type`.
    public var metadata: GGUFMetadata {
        var metadata = input.metadata
        for key in [
            "general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count",
        ] {
            metadata[key] = nil
        }
        metadata["general.quantization_version"] = .uint32(2)
        metadata["general.file_type"] = .uint32(fileType.fileTypeID)
        return metadata
    }

    /// Writes the quantized model to `path` (atomically), using `threads` threads, calling `progress` after each
    /// tensor.
    public func write(to path: String, threads: Int, progress: @escaping (TensorStep) -> Void) throws(GGUFError) {
        var writer = GGUFWriter(metadata: metadata)
        let file = input
        let count = steps.count
        for (index, step) in steps.enumerated() {
            let shape = Array(step.info.shape.prefix(QuantizationPlan.significantDimensions(step.info.shape)))
            let info = step.info
            let type = step.type
            try writer.addTensor(name: info.name, type: type, shape: shape) { sink in
                let before = sink.bytesWritten
                try Self.convert(info, of: file, to: type, threads: threads, into: sink)
                progress(
                    TensorStep(
                        index: index + 1, count: count, name: info.name, shape: shape, from: info.type, to: type,
                        inputBytes: info.byteCount, outputBytes: sink.bytesWritten - before))
            }
        }
        try writer.write(to: path)
    }

    /// Writes tensor `info` of `file` as `type` into `sink`: copied when the type is unchanged, else decoded to
    /// floats and quantized slab by slab, each slab's rows split across `threads`.
    static func convert(
        _ info: GGUFTensorInfo, of file: GGUFFile, to type: GGMLType, threads: Int, into sink: GGUFDataSink
    ) throws(GGUFError) {
        let source = file.bytes(of: info)
        if info.type == type {
            try sink.write(source)
            return
        }
        let rowLength = info.shape[0]
        let rows = info.elementCount / rowLength
        guard let rowBytes = type.byteCount(elements: rowLength) else {
            throw GGUFError(.badTensorInfo, path: file.path, "tensor '\(info.name)': rows do not fit \(type)")
        }
        let inputRowBytes = info.byteCount / rows
        let slabRows = max(1, min(rows, (4 << 20) / rowLength))
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: slabRows * rowLength)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: slabRows * rowBytes, alignment: 64)
        defer {
            floats.deallocate()
            output.deallocate()
        }
        var first = 0
        while first < rows {
            let n = min(slabRows, rows - first)
            let pieces = min(n, max(1, threads) * 8)
            let inputType = info.type
            let slab = Slab(
                source: source.baseAddress! + first * inputRowBytes, floats: floats.baseAddress!,
                output: output.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                let start = n * piece / pieces
                let end = n * (piece + 1) / pieces
                guard end > start else { return }
                let values = slab.floats + start * rowLength
                let count = (end - start) * rowLength
                decode(slab.source + start * inputRowBytes, inputType, count, into: values)
                try? type.quantize(
                    UnsafeBufferPointer(start: values, count: count),
                    into: UnsafeMutableRawBufferPointer(
                        start: slab.output + start * rowBytes, count: (end - start) * rowBytes))
            }
            try sink.write(UnsafeRawBufferPointer(start: output.baseAddress!, count: n * rowBytes))
            first += n
        }
    }

    /// The buffers of one slab, shared by the threads that each fill their own rows of it.
    private struct Slab: @unchecked Sendable {
        let source: UnsafeRawPointer
        let floats: UnsafeMutablePointer<Float>
        let output: UnsafeMutableRawPointer
    }

    /// Decodes `count` F32, F16 or BF16 values at `bytes` into `values` (exactly, as ggml does).
    private static func decode(
        _ bytes: UnsafeRawPointer, _ type: GGMLType, _ count: Int, into values: UnsafeMutablePointer<Float>
    ) {
        switch type {
        case .f16:
            for i in 0..<count {
                values[i] = HalfFloat.float(
                    fromF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                values[i] = HalfFloat.float(
                    fromBF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        default:
            for i in 0..<count {
                values[i] = Float(
                    bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }
}
