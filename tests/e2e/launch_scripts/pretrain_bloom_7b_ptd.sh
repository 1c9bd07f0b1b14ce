# examples/bloom/pretrain_bloom_7b_ptd.sh, paths and sizes tiny (TP 8 -> 1, 30 layers -> 2, ...).
CHECKPOINT_PATH=$WORK/ckpt

MICRO_BATCH_SIZE=2
GLOBAL_BATCH_SIZE=4

NLAYERS=2
NHIDDEN=32
NHEADS=4
SEQ_LEN=32

SAVE_INTERVAL=250

TRAIN_SAMPLES=$((ITERS * 4))
LR_DECAY_SAMPLES=2_000  # Decay for the first 410B tokens then continue at fixed --min-lr
LR_WARMUP_SAMPLES=1_000  # 375M tokens

TOKENIZER_NAME_OR_PATH=$WORK/tokenizer/
DATA_PATH=$WORK/data_text_document

$ASCENT train \
    --tokenizer-type PretrainedFromHF \
    --embed-layernorm \
    --tokenizer-name-or-path $TOKENIZER_NAME_OR_PATH \
    --data-path $DATA_PATH \
    --pad-vocab-size-to 250880 \
    --tensor-model-parallel-size 1 \
    --pipeline-model-parallel-size 1 \
    --num-layers $NLAYERS \
    --hidden-size $NHIDDEN \
    --num-attention-heads $NHEADS \
    --seq-length $SEQ_LEN \
    --max-position-embeddings $SEQ_LEN \
    --micro-batch-size $MICRO_BATCH_SIZE \
    --rampup-batch-size 192 16 9_765_625 \
    --global-batch-size $GLOBAL_BATCH_SIZE \
    --train-samples $TRAIN_SAMPLES \
    --init-method-std 0.0048 \
    --fp16 \
    --seed 42 \
    --position-embedding-type alibi \
    --optimizer adam \
    --adam-beta1 0.9 \
    --adam-beta2 0.95 \
    --adam-eps 1e-8 \
    --lr 1.2e-4 \
    --min-lr 6e-6 \
    --lr-decay-style cosine \
    --lr-decay-samples $LR_DECAY_SAMPLES \
    --lr-warmup-samples $LR_WARMUP_SAMPLES \
    --clip-grad 1.0 \
    --weight-decay 1e-1 \
    --log-interval 1 \
    --save-interval $SAVE_INTERVAL \
    --eval-interval 1000 \
    --eval-iters 1 \
    --save $CHECKPOINT_PATH \
    --load $CHECKPOINT_PATH \
    --data-impl mmap \
    --distributed-backend nccl \
    --sequence-parallel \
    --no-add-gate \
    --add-bias-linear \
    --query-key-layer-scaling \
    --no-attention-softmax-in-fp32 \
    --no-untie-embeddings-and-output-weights
