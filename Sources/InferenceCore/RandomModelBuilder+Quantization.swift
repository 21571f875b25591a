import GGUF

extension RandomModelBuilder {
    /// `tensors` with each matrix given the type llama-quantize picks for it in `fileType` (norms and biases stay
    /// F32), so a random model can have the same type mix as a quantized real one.
    func mixed(_ tensors: [PlannedTensor], as fileType: QuantizationFileType) -> [PlannedTensor] {
        let h = hyperparameters
        let model = QuantizationPlan.Model(
            architecture: h.architecture.rawValue, blockCount: h.blockCount, headCount: h.headCount,
            headCountKV: h.headCountKV)
        let types = QuantizationPlan(fileType: fileType, model: model).targetTypes(
            tensors.map { QuantizationPlan.Tensor(name: $0.name, shape: $0.shape, type: $0.type) })
        return zip(tensors, types).map { tensor, type in
            PlannedTensor(name: tensor.name, shape: tensor.shape, type: type, initialisation: tensor.initialisation)
        }
    }
}
